// napix/detail/js_thread.h — what napix does on an environment's JS thread whatever the feature:
// ask whether JS can still run, surface an error as `uncaughtException`, and turn a caught C++
// exception into an error (the one place that classifies exceptions, fmt's FMT_TRY/FMT_CATCH
// model: every NAPIX_CATCH(...) block calls a helper from here).
#pragma once

#include <exception>
#include <type_traits>
#include <utility>

#include "../config.h"
#include "../error.h"

namespace napix {
namespace detail {

/// Whether `env` can still run JavaScript. napi_throw's preamble answers napi_pending_exception
/// (napi_cannot_run_js for Node-API 10 modules) once teardown began; otherwise a null error makes
/// it fail with napi_invalid_arg without changing anything (doc/design.md, behaviour 11).
/// Thread: JS thread only.
inline bool can_run_js(napi_env env) noexcept { return napi_throw(env, nullptr) == napi_invalid_arg; }

/// Raises `error` as the process's `uncaughtException` (a Worker's `error` event), the way an
/// exception from a fire-and-forget call must surface on every Node version. Thread: JS thread.
inline void raise_uncaught(napi_env env, napi_value error) noexcept {
  if (error != nullptr) napi_fatal_exception(env, error);
}

/// Takes the pending JS exception, if any, and raises it as uncaught; says whether there was one.
/// Thread: JS thread only.
inline bool raise_pending_as_uncaught(napi_env env) noexcept {
  napi_value error = take_pending_exception(env);
  raise_uncaught(env, error);
  return error != nullptr;
}

#if NAPIX_EXCEPTIONS
/// The exception being handled, classified: `on_napi(const Napi::Error&)` for a Napi::Error (its
/// JS value is the error), else `on_other(Error)` — a JsError as its name, message and code, any
/// other std::exception as `what()`, anything else as `unknown`. Call it only inside a catch
/// block (`std::current_exception()` still works in `on_other`). Thread: any (`on_napi` decides).
template <class OnNapi, class OnOther>
auto on_caught(OnNapi&& on_napi, OnOther&& on_other,
               const char* unknown = "unknown C++ exception") -> decltype(on_other(Error())) {
  try {
    throw;
  } catch (const Napi::Error& e) {
    return on_napi(e);
  } catch (const JsError& e) {
    return on_other(e.to_error());
  } catch (const TimeoutError& e) {
    return on_other(Error(kTimeoutErrorName, e.what(), e.code()));
  } catch (const std::exception& e) {
    return on_other(Error(e.what()));
  } catch (...) {
    return on_other(Error(unknown));
  }
}
#else
// Exceptions off, NAPIX_CATCH blocks are dead code; this keeps them compiling.
template <class OnNapi, class OnOther>
auto on_caught(OnNapi&&, OnOther&& on_other, const char* = nullptr) -> decltype(on_other(Error())) {
  fatal("napix", "on_caught called without C++ exceptions");
}
#endif

/// The exception being handled as an Error (a Napi::Error as its message). Inside a catch block
/// only. Thread: any.
inline Error caught_error(const char* unknown = "unknown C++ exception") {
  return on_caught([](const Napi::Error& e) { return Error(e.Message()); },
                   [](Error e) { return e; }, unknown);
}

/// The exception being handled as the JS value to report: a Napi::Error's own value, anything
/// else the Error `caught_error` describes. A JS exception left pending beside it is dropped (the
/// C++ one carries the error). Inside a catch block only. Thread: JS thread only.
inline napi_value caught_js_error(napi_env env) {
  clear_pending_js_error(env);
  return on_caught([](const Napi::Error& e) -> napi_value { return e.Value(); },
                   [env](Error e) -> napi_value { return to_js_error(Napi::Env(env), e).Value(); });
}

/// Runs `f()` on the JS thread; a C++ exception escaping it, or a JS exception it leaves
/// pending, becomes the process's `uncaughtException` (fire-and-forget work has no caller to
/// tell). Returns false when something was raised so. Thread: JS thread only.
template <class F>
bool run_reporting_uncaught(napi_env env, F&& f) noexcept {
  NAPIX_TRY {
    f();
  }
  NAPIX_CATCH(...) {
    raise_uncaught(env, caught_js_error(env));
    return false;
  }
  return !raise_pending_as_uncaught(env);
}

}  // namespace detail
}  // namespace napix
