// napix/detail/thenable.h — run a callback once a JS value settles: at once for a plain value,
// through `then(onFulfilled, onRejected)` for a thenable. Shared by call_async/call_sync (a JS
// function that returns a promise) and to_future.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>

#include "../config.h"
#include "../convert.h"
#include "env.h"
#include "outcome.h"

namespace napix {
namespace detail {

/// `done(env, fulfilled, value)` runs exactly once on the JS thread: when `value` settles, or at
/// once when it is not a thenable (or its `then` throws: rejected with that exception). When the
/// thenable never settles and its handlers are finalized (garbage collected or the environment
/// torn down), `done(nullptr, false, nullptr)` runs instead: the caller reports "closing".
/// Thread: JS thread only.
template <class Done>
void when_settled(napi_env env, napi_value value, Done done);

// Listed with the environment while pending (SettleLink): teardown ends the wait even if the
// handlers are never finalized. `done` is destroyed as soon as it ran, so what it owns (a future's
// slot, which reports "closing" from its destructor) does not wait for the handlers' finalizers.
template <class Done>
struct SettleState final : SettleLink {
  explicit SettleState(Done d) : done(std::move(d)) {}
  std::optional<Done> done;
  int handlers = 2;  // finalized handler functions still pointing here
  bool fired = false;

  void fire(napi_env env, bool fulfilled, napi_value value) {
    if (fired) return;
    fired = true;
    unlink();
    Done d = std::move(*done);
    done.reset();
    d(env, fulfilled, value);
  }
  void abandon() noexcept override { fire(nullptr, false, nullptr); }

  static napi_value on_fulfilled(napi_env env, napi_callback_info info) { return settle(env, info, true); }
  static napi_value on_rejected(napi_env env, napi_callback_info info) { return settle(env, info, false); }

  static napi_value settle(napi_env env, napi_callback_info info, bool fulfilled) {
    size_t argc = 1;
    napi_value arg = nullptr;
    void* data = nullptr;
    napi_get_cb_info(env, info, &argc, &arg, nullptr, &data);
    if (argc == 0 || arg == nullptr) napi_get_undefined(env, &arg);
    static_cast<SettleState*>(data)->fire(env, fulfilled, arg);
    return nullptr;
  }

  static void on_finalize(napi_env, void* data, void*) {
    auto* state = static_cast<SettleState*>(data);
    if (--state->handlers != 0) return;
    state->fire(nullptr, false, nullptr);  // never settled (no effect if it did)
    delete state;
  }
};

/// A thenable is an object or function whose `then` is a function (the Promises/A+ test).
/// Sets `*then` when it is; a throwing `then` getter leaves its exception pending.
inline napi_status get_then(napi_env env, napi_value value, napi_value* then) {
  *then = nullptr;
  napi_valuetype type;
  napi_status s = napi_typeof(env, value, &type);
  if (s != napi_ok || (type != napi_object && type != napi_function)) return s;
  napi_value candidate;
  s = napi_get_named_property(env, value, "then", &candidate);
  if (s != napi_ok) return s;
  s = napi_typeof(env, candidate, &type);
  if (s == napi_ok && type == napi_function) *then = candidate;
  return s;
}

template <class Done>
void when_settled(napi_env env, napi_value value, Done done) {
  napi_value then = nullptr;
  if (get_then(env, value, &then) != napi_ok) {
    done(env, false, take_pending_exception(env));
    return;
  }
  if (then == nullptr) {
    done(env, true, value);
    return;
  }
  auto* state = new SettleState<Done>(std::move(done));
  napi_value handlers[2];
  napi_status s = napi_create_function(env, "napixFulfilled", NAPI_AUTO_LENGTH,
                                       SettleState<Done>::on_fulfilled, state, &handlers[0]);
  if (s == napi_ok) {
    s = napi_create_function(env, "napixRejected", NAPI_AUTO_LENGTH, SettleState<Done>::on_rejected,
                             state, &handlers[1]);
  }
  int attached = 0;
  for (int i = 0; s == napi_ok && i < 2; ++i) {
    s = napi_add_finalizer(env, handlers[i], state, SettleState<Done>::on_finalize, nullptr, nullptr);
    if (s == napi_ok) ++attached;
  }
  napi_value ignored;
  if (s == napi_ok) s = napi_call_function(env, value, then, 2, handlers, &ignored);
  if (s != napi_ok) {
    napi_value error = take_pending_exception(env);
    if (error == nullptr) napi_get_undefined(env, &error);
    state->fire(env, false, error);
  } else if (!state->fired) {  // (a synchronous `then` may already have called a handler)
    env_entry(env).list_settle(state);
  }
  // Handlers whose finalizer was never attached will never decrement the count.
  state->handlers -= 2 - attached;
  if (state->handlers == 0) delete state;  // never listed: that needs both handlers attached
}

/// Converts a settled JS value into the outcome of a call expecting R. Thread: JS thread only.
template <class R>
Outcome<R> settled_outcome(napi_env env, bool fulfilled, napi_value value) {
  if (!fulfilled) return Outcome<R>::js_error(JsError::from_value(Napi::Value(env, value)));
  if constexpr (std::is_void_v<R>) {
    return Outcome<R>::success();
  } else {
    Result<R> converted = try_from_js<R>(Napi::Value(env, value));
    if (std::optional<JsError> js = take_pending_js_error(env)) return Outcome<R>::js_error(std::move(*js));
    if (!converted) return Outcome<R>::failure(std::move(converted).error());
    return Outcome<R>::success(std::move(converted).value());
  }
}

}  // namespace detail
}  // namespace napix
