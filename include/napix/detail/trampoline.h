// napix/detail/trampoline.h — runs native code inside an async context: napi_make_callback needs
// a JS function to call, so each environment has one native "trampoline" function that calls
// back into whatever C++ is current. Every Channel's batches and every task's completion and
// progress run through it, so AsyncLocalStorage and async_hooks see the creator's context on
// every Node version (doc/design.md, behaviour 7: napi_call_function from a tsfn callback loses
// it on Node 24+). One per environment, owned by its EnvEntry (env.h).
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include "../config.h"
#include "js_thread.h"

namespace napix {
namespace detail {

class Trampoline {
 public:
  /// Makes the JS function. On failure `run` reports that nothing ran. Thread: JS thread only.
  explicit Trampoline(napi_env env) {
    napi_value fn = nullptr;
    if (napi_create_function(env, "napixTrampoline", NAPI_AUTO_LENGTH, on_call, this, &fn) == napi_ok) {
      napi_create_reference(env, fn, 1, &fn_);
    }
  }
  Trampoline(const Trampoline&) = delete;
  Trampoline& operator=(const Trampoline&) = delete;

  /// Runs `f()` inside `context` (napi_make_callback, so microtasks drain after it as after any
  /// callback). A C++ exception escaping `f`, or a JS exception it leaves pending, becomes the
  /// process's `uncaughtException`. A null `context` runs `f` as is. Returns false when `f` did
  /// not run: V8 refused to enter the function (the isolate is terminating: worker.terminate()
  /// or process.exit() began, although Node-API may not say so yet), or the environment's
  /// cleanup already freed it. Re-entrant: `f` may lead here again. Thread: JS thread only.
  template <class F>
  bool run(napi_env env, napi_async_context context, F&& f);

  /// Lets go of the JS function (the environment's cleanup hook). Thread: JS thread only.
  void free(napi_env env) noexcept {
    if (fn_ != nullptr) napi_delete_reference(env, fn_);
    fn_ = nullptr;
  }

 private:
  static napi_value on_call(napi_env env, napi_callback_info info);

  napi_ref fn_ = nullptr;
  // The code to run when the function is entered: saved and restored around each run.
  void (*current_fn_)(void*) = nullptr;
  void* current_arg_ = nullptr;
  bool entered_ = false;
};

// ---------------------------------------------------------------------------------------------
// Definitions

template <class F>
bool Trampoline::run(napi_env env, napi_async_context context, F&& f) {
  if (context == nullptr) {
    run_reporting_uncaught(env, f);
    return true;
  }
  napi_value fn = nullptr, recv = nullptr, result = nullptr;
  if (fn_ == nullptr || napi_get_reference_value(env, fn_, &fn) != napi_ok || fn == nullptr) return false;
  napi_get_global(env, &recv);
  using Fn = std::remove_reference_t<F>;
  auto saved_fn = current_fn_;
  void* saved_arg = current_arg_;
  const bool saved_entered = entered_;
  current_fn_ = [](void* p) { (*static_cast<Fn*>(p))(); };
  current_arg_ = const_cast<void*>(static_cast<const void*>(&f));
  entered_ = false;
  if (napi_make_callback(env, context, recv, fn, 0, nullptr, &result) == napi_pending_exception) {
    raise_pending_as_uncaught(env);
  }
  const bool entered = entered_;
  current_fn_ = saved_fn;
  current_arg_ = saved_arg;
  entered_ = saved_entered;
  return entered;
}

inline napi_value Trampoline::on_call(napi_env env, napi_callback_info info) {
  void* data = nullptr;
  napi_get_cb_info(env, info, nullptr, nullptr, nullptr, &data);
  auto* self = static_cast<Trampoline*>(data);
  if (self->current_fn_ != nullptr) {
    self->entered_ = true;
    void (*fn)(void*) = self->current_fn_;
    void* arg = self->current_arg_;
    run_reporting_uncaught(env, [&] { fn(arg); });
  }
  return nullptr;
}

}  // namespace detail
}  // namespace napix
