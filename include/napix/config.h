// napix/config.h — version, Node-API level and the exception-mode switch every header shares.
#pragma once

// napix needs Node-API 6 (bigint, instance data era); default to 8 like node-addon-api 8.
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif

#include <napi.h>

#define NAPIX_VERSION_MAJOR 0
#define NAPIX_VERSION_MINOR 1
#define NAPIX_VERSION_PATCH 0
#define NAPIX_VERSION_STRING "0.1.0"

#if NAPI_VERSION < 6
#error "napix needs NAPI_VERSION 6 or newer (define NAPI_VERSION before including napix)."
#endif

#if __cplusplus < 201703L && !(defined(_MSVC_LANG) && _MSVC_LANG >= 201703L)
#error "napix needs C++17 (-std=c++17 or newer)."
#endif

// One switch for both modes, decided by node-addon-api's own macros so the two never disagree.
// NAPIX_EXCEPTIONS == 1: errors are thrown; 0: "throws" in the docs means "returns napix::Result".
#if defined(NODE_ADDON_API_CPP_EXCEPTIONS)
#define NAPIX_EXCEPTIONS 1
#else
#define NAPIX_EXCEPTIONS 0
#endif

// fmt's trick: one source for both modes. In the exceptions-off build a NAPIX_CATCH body is dead
// code and must not use the caught variable's name outside `(void)`.
#if NAPIX_EXCEPTIONS
#define NAPIX_TRY try
#define NAPIX_CATCH(x) catch (x)
#else
#define NAPIX_TRY if (true)
#define NAPIX_CATCH(x) if (false)
#endif

// Keeps a cold path (a refused call, an error) out of the hot function that calls it, so the
// hot one stays small enough for the compiler to inline what matters there.
#if defined(_MSC_VER)
#define NAPIX_NOINLINE __declspec(noinline)
#else
#define NAPIX_NOINLINE __attribute__((noinline))
#endif

namespace napix {
namespace detail {

/// Ends the process with a message naming where napix found a broken invariant or a misuse that
/// the exceptions-off build cannot report otherwise. Thread: any.
[[noreturn]] inline void fatal(const char* location, const char* message) noexcept {
  napi_fatal_error(location, NAPI_AUTO_LENGTH, message, NAPI_AUTO_LENGTH);
}

}  // namespace detail
}  // namespace napix
