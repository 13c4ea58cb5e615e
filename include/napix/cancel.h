// napix/cancel.h — napix::CancelToken: cancellation any thread can ask about, request and react
// to (callbacks run on the cancelling thread, std::stop_token's model), and one that follows a JS
// AbortSignal. TaskContext::token() (task.h) gives a task's own.
#pragma once

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "config.h"
#include "convert.h"
#include "error.h"
#include "detail/cancel_state.h"
#include "detail/task_core.h"

namespace napix {

class CancelRegistration;

/// A cancellation flag shared by its copies. Copyable; any thread may ask, cancel and register
/// callbacks. A default-constructed token is a fresh, uncancelled one.
class CancelToken {
 public:
  /// A new, uncancelled token. Thread: any.
  CancelToken() : state_(std::make_shared<detail::CancelState>()) {}

  /// Whether `cancel()` was called on this token or a copy. Thread: any.
  bool cancelled() const noexcept { return state_->cancelled(); }

  /// Cancels: runs every registered callback once, on this thread, in registration order, before
  /// returning. Only the first call does anything. Thread: any.
  void cancel() const noexcept { state_->cancel(); }

  /// Runs `f()` once when the token is cancelled, on the thread that cancels it; at once, here,
  /// when it already is. `f` must not throw (a throw ends the process, as with
  /// std::stop_callback). The returned registration unregisters `f` when destroyed: after that
  /// `f` never starts, and if it is running on another thread the destructor waits for it
  /// (not when destroyed from inside `f` itself). Thread: any.
  template <class F>
  [[nodiscard]] CancelRegistration on_cancel(F&& f) const;

 private:
  friend class TaskContext;
  friend struct Converter<CancelToken>;
  explicit CancelToken(std::shared_ptr<detail::CancelState> state) noexcept
      : state_(std::move(state)) {}
  std::shared_ptr<detail::CancelState> state_;
};

/// A callback registered with `CancelToken::on_cancel`. Move-only; destroying it (or `reset()`)
/// unregisters the callback, waiting for it if it is running on another thread.
class CancelRegistration {
 public:
  /// Registers nothing. Thread: any.
  CancelRegistration() noexcept = default;
  CancelRegistration(CancelRegistration&& other) noexcept
      : state_(std::move(other.state_)), node_(std::exchange(other.node_, nullptr)) {}
  CancelRegistration& operator=(CancelRegistration&& other) noexcept {
    if (this != &other) {
      reset();
      state_ = std::move(other.state_);
      node_ = std::exchange(other.node_, nullptr);
    }
    return *this;
  }
  CancelRegistration(const CancelRegistration&) = delete;
  CancelRegistration& operator=(const CancelRegistration&) = delete;
  ~CancelRegistration() { reset(); }

  /// Unregisters now (see the class). Thread: any.
  void reset() noexcept {
    if (node_ != nullptr && state_->remove(node_)) delete node_;
    node_ = nullptr;
    state_.reset();
  }

 private:
  friend class CancelToken;
  CancelRegistration(std::shared_ptr<detail::CancelState> state, detail::CancelNode* node) noexcept
      : state_(std::move(state)), node_(node) {}
  std::shared_ptr<detail::CancelState> state_;
  detail::CancelNode* node_ = nullptr;
};

/// `from_js<CancelToken>(signal)`: a token that follows a JS `AbortSignal` — cancelled at once when
/// the signal already is, else when it aborts (on the JS thread, by an `abort` listener added with
/// `{ once: true }`). The listener holds the token weakly: it stays on the signal until the signal
/// aborts or is collected, but keeps nothing alive. Anything but a real AbortSignal is a
/// `TypeError` (ERR_INVALID_ARG_TYPE). From JS only. Thread: JS thread only.
template <>
struct Converter<CancelToken> {
  static std::optional<CancelToken> from_js(Napi::Value value, ConvertContext& cx);
};

// ---------------------------------------------------------------------------------------------
// Definitions

template <class F>
CancelRegistration CancelToken::on_cancel(F&& f) const {
  static_assert(std::is_invocable_v<std::decay_t<F>&>,
                "napix::CancelToken::on_cancel: the callback must be callable as f()");
  auto* node = new detail::CancelNode();
  node->fn = [fn = std::forward<F>(f)]() mutable { fn(); };
  if (!state_->add(node)) {
    // Already cancelled: run it now, here, exactly once.
    node->fn();
    delete node;
    return CancelRegistration();
  }
  return CancelRegistration(state_, node);
}

inline std::optional<CancelToken> Converter<CancelToken>::from_js(Napi::Value value,
                                                                  ConvertContext& cx) {
  napi_env env = cx.env();
  std::optional<bool> aborted = detail::abort_signal_state(env, value);
  if (!aborted) return cx.fail_type("AbortSignal", value);
  CancelToken token;
  if (*aborted) {
    token.cancel();
    return token;
  }
  std::weak_ptr<detail::CancelState> weak = token.state_;
  napi_value listener = nullptr;
  NAPIX_TRY {
    listener = Napi::Function::New(
        Napi::Env(env),
        [weak](const Napi::CallbackInfo& info) -> Napi::Value {
          if (std::shared_ptr<detail::CancelState> s = weak.lock()) s->cancel();
          return info.Env().Undefined();
        },
        "napixCancelToken");
  }
  NAPIX_CATCH(...) { return cx.fail(detail::caught_error()); }
  if (listener == nullptr) return cx.fail_status(napi_generic_failure);
  napi_value add = nullptr, type = nullptr, options = nullptr, yes = nullptr, ignored = nullptr;
  napi_status s = napi_get_named_property(env, value, "addEventListener", &add);
  if (s == napi_ok) s = napi_create_string_utf8(env, "abort", NAPI_AUTO_LENGTH, &type);
  if (s == napi_ok) s = napi_create_object(env, &options);
  if (s == napi_ok) s = napi_get_boolean(env, true, &yes);
  if (s == napi_ok) s = napi_set_named_property(env, options, "once", yes);
  if (s == napi_ok) {
    napi_value argv[3] = {type, listener, options};
    s = napi_call_function(env, value, add, 3, argv, &ignored);
  }
  if (s != napi_ok) return cx.fail_status(s);
  // Aborted while the listener was being added, without calling it: cancel here.
  aborted = detail::abort_signal_state(env, value);
  if (!aborted || *aborted) token.cancel();
  return token;
}

}  // namespace napix
