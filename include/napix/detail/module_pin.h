// napix/detail/module_pin.h — keeps the addon's shared object loaded once it hands out handles.
//
// Why: an addon loaded only inside a Worker is dlclose'd when that Worker's environment is
// destroyed; a native thread still running napix code from it then segfaults on every Node version
// (doc/design.md, behaviour 4). napi-rs pins its module the same way. GCC hides the bug by marking
// inline functions' statics STB_GNU_UNIQUE (which also blocks unloading), so its test builds with
// -fno-gnu-unique.
#pragma once

#include <atomic>

#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace napix {
namespace detail {
// Internal linkage on purpose: the function's own address must belong to THIS shared object (an
// exported inline function could resolve to another addon's copy), and its flag must not become a
// GNU-unique symbol.
namespace {

/// Pins the shared object that contains this code for the rest of the process: a second
/// `dlopen` with RTLD_NODELETE (or GetModuleHandleEx's PIN flag). Cheap after the first call.
/// Thread: any.
inline void pin_module() noexcept {
  static std::atomic<bool> pinned{false};  // one per translation unit; a repeat pin is harmless
  if (pinned.load(std::memory_order_acquire)) return;
#if defined(_WIN32)
  HMODULE module = nullptr;
  GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                     reinterpret_cast<LPCSTR>(&pin_module), &module);
#else
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&pin_module), &info) != 0 && info.dli_fname != nullptr) {
    // The handle is deliberately never closed: RTLD_NODELETE keeps the object mapped anyway.
    (void)dlopen(info.dli_fname, RTLD_LAZY | RTLD_NODELETE | RTLD_NOLOAD);
  }
#endif
  pinned.store(true, std::memory_order_release);
}

}  // namespace

}  // namespace detail
}  // namespace napix
