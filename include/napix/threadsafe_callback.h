// napix/threadsafe_callback.h — a copyable handle to one JS function (and receiver) that any
// thread may call (the Neon ThreadSafeCallback RFC, node-addon-api's ThreadSafeFunction).
// TypedThreadSafeCallback<R(Args...)> is the fast path with the signature fixed at compile time.
#pragma once

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "channel.h"
#include "convert.h"
#include "detail/js_value.h"
#include "detail/thenable.h"

namespace napix {

/// Options of a ThreadSafeCallback: the same as a Channel's.
using CallbackOptions = ChannelOptions;

/// A JS function callable from any thread. Calls run on the JS thread in each producer's order,
/// in batches (see Channel): arguments are moved into the queue and converted with `to_js` there.
/// A JS exception thrown by a fire-and-forget call becomes an `uncaughtException`.
class ThreadSafeCallback {
 public:
  /// `self` is `this` of every call: an object, function or symbol; empty or `undefined` for
  /// none. Thread: JS thread only.
  /// Errors: `fn` not a function, or a `self` Node-API cannot hold (`null`, a number, string,
  /// boolean or bigint), throws a `TypeError` (code ERR_INVALID_ARG_TYPE) naming what it got;
  /// exceptions off: the TypeError is left pending and the handle is empty (`closed()`, every
  /// call `closing`). Otherwise as Channel's constructor.
  explicit ThreadSafeCallback(Napi::Function fn, CallbackOptions options = {});
  ThreadSafeCallback(Napi::Value self, Napi::Function fn, CallbackOptions options = {});

  /// Thread: any. The last copy destroyed lets the loop exit (once drained) and `fn` be collected.
  ThreadSafeCallback(const ThreadSafeCallback&) = default;
  ThreadSafeCallback(ThreadSafeCallback&&) noexcept = default;
  ThreadSafeCallback& operator=(const ThreadSafeCallback&) = default;
  ThreadSafeCallback& operator=(ThreadSafeCallback&&) noexcept = default;
  ~ThreadSafeCallback() = default;

  /// `call(closure)`: runs `closure(Napi::Env, Napi::Value self, Napi::Function fn)` on the JS
  /// thread. `call(args...)`: calls `fn` with `self` and the arguments. Blocks while a bounded
  /// queue is full (on the JS thread it returns `queue_full` instead). Returns `ok` or `closing`.
  /// Thread: any.
  template <class... Args>
  Status call(Args&&... args) const;

  /// As `call`, never blocks: `queue_full` when a bounded queue is full. Thread: any.
  template <class... Args>
  Status try_call(Args&&... args) const;

  /// Calls `fn(args...)`; the future gets its return value converted by `from_js<R>` — after it
  /// settles, when it is a thenable. A throw or rejection gives `JsError`, a failed conversion a
  /// `JsError` named TypeError/RangeError, a call that never runs `ClosingError`.
  /// Exceptions off: the future holds a `Result<R>`. Thread: any.
  template <class R = void, class... Args>
  std::future<Fallible<R>> call_async(Args&&... args) const;

  /// The blocking form of `call_async`. On the JS thread: `std::logic_error` (it would deadlock).
  /// Thread: any but the JS thread.
  template <class R = void, class... Args>
  Fallible<R> call_sync(Args&&... args) const;

  /// As for Channel. `ref`/`unref`/`has_ref`: JS thread only; `abort`, `closed`: any thread.
  void ref() const { channel_.ref(); }
  void unref() const { channel_.unref(); }
  bool has_ref() const { return channel_.has_ref(); }
  void abort() const { channel_.abort(); }
  bool closed() const { return channel_.closed(); }

  /// A Channel on the same queue: its closures run in order with this callback's calls.
  /// Thread: any.
  Channel channel() const { return channel_; }

 private:
  friend struct detail::Inspect;
  template <class... Args>
  Status enqueue(bool block, Args&&... args) const;

  Channel channel_;
};

/// `TypedThreadSafeCallback<R(Args...)>`: the signature fixed at compile time, like
/// `std::function<R(Args...)>`. Calls are stored as `std::tuple<Args...>` plus one pointer in a
/// typed queue (no per-call allocation or type erasure); arguments are converted by `to_js` on
/// the JS thread and the result by `from_js<R>`. Arguments not convertible to `Args...` do not
/// compile.
template <class Signature>
class TypedThreadSafeCallback;

namespace detail {

/// Checks a callback's function and receiver before anything is made: true when usable, else a
/// TypeError (ERR_INVALID_ARG_TYPE) naming `who`, the parameter and what it got is thrown
/// (exceptions off: left pending) and the caller makes an empty, closed handle. Without it a
/// non-function made a closed handle or calls lost on the JS thread
/// (test/threadsafe_callback.test.js). Thread: JS thread only.
inline bool check_callback(const char* who, Napi::Value self, Napi::Function fn) {
  napi_env env = fn.Env();
  if (env == nullptr) misuse("napix: a callback made from a default-constructed Napi::Function");
  napi_valuetype type = napi_undefined;
  std::string bad;
  if (napi_typeof(env, fn, &type) != napi_ok || type != napi_function) {
    bad = std::string(who) + ": fn: expected function, got " + describe_type(env, fn);
  } else if (static_cast<napi_value>(self) != nullptr &&
             (napi_typeof(env, self, &type) != napi_ok ||
              !(type == napi_undefined || type == napi_object || type == napi_function ||
                type == napi_symbol || type == napi_external))) {
    // Below Node-API 10 a reference can hold only these; `undefined` means no receiver.
    bad = std::string(who) + ": self: expected object, function, symbol or undefined, got " +
          describe_type(env, self);
  }
  if (bad.empty()) return true;
  throw_js(Napi::Env(env), Error::type_error(std::move(bad)));
  return false;
}

/// The receiver as the queue keeps it: null for none (empty or `undefined`). Thread: JS thread.
inline napi_value receiver(Napi::Value self) {
  napi_value v = self;
  napi_valuetype type = napi_undefined;
  if (v == nullptr || napi_typeof(self.Env(), v, &type) != napi_ok || type == napi_undefined) {
    return nullptr;
  }
  return v;
}

template <class... Args, std::size_t... I>
napi_status call_js(const RunContext& cx, std::tuple<Args...>& args, std::index_sequence<I...>,
                    napi_value* result) {
  napi_value argv[sizeof...(Args) + 1] = {napix::to_js(Napi::Env(cx.env), std::move(std::get<I>(args)))...};
  napi_status s = napi_call_function(cx.env, cx.self, cx.fn, sizeof...(Args), argv, result);
  if (s != napi_ok) cx.check_js = true;  // perhaps the JS called process.exit() in a Worker
  return s;
}

/// Calls the JS function with `args` and completes `slot` (PromiseSlot or WaiterSlot) when the
/// result settles. Thread: JS thread only.
template <class R, class Slot, class... Args>
void call_and_complete(const RunContext& cx, std::tuple<Args...>& args, Slot slot) {
  napi_value result = nullptr;
  napi_status s = napi_generic_failure;
  NAPIX_TRY {
    s = call_js(cx, args, std::index_sequence_for<Args...>{}, &result);
  }
  NAPIX_CATCH(...) {
#if NAPIX_EXCEPTIONS
    // An argument's to_js threw: the error belongs to this call's future, not to the process.
    slot.complete(caught<R>(cx.env));
    return;
#endif
  }
  if (s != napi_ok || result == nullptr) {
    if (std::optional<JsError> js = take_pending_js_error(cx.env)) {
      slot.complete(Outcome<R>::js_error(std::move(*js)));
    } else {
      slot.complete(Outcome<R>::failure(Error("napix: calling the JavaScript function failed")));
    }
    return;
  }
  when_settled(cx.env, result, [slot = std::move(slot)](napi_env env, bool ok, napi_value v) mutable {
    if (env == nullptr) return;  // never settled: the slot's destructor reports closing
    slot.complete(settled_outcome<R>(env, ok, v));
  });
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Definitions (ThreadSafeCallback)

namespace detail {
// The RFC's closure form: `f(env, self, fn)`.
template <class F>
auto closure_job(F&& f) {
  return [fn = std::forward<F>(f)](const RunContext& cx) mutable {
    cx.check_js = true;  // user code: see Dispatcher::run_batch
    fn(Napi::Env(cx.env), Napi::Value(cx.env, cx.self), Napi::Function(cx.env, cx.fn));
  };
}
}  // namespace detail

inline ThreadSafeCallback::ThreadSafeCallback(Napi::Function fn, CallbackOptions options)
    : ThreadSafeCallback(Napi::Value(), fn, std::move(options)) {}

inline ThreadSafeCallback::ThreadSafeCallback(Napi::Value self, Napi::Function fn,
                                              CallbackOptions options)
    : channel_(detail::check_callback("napix::ThreadSafeCallback", self, fn)
                   ? Channel(fn.Env(), detail::receiver(self), fn, options)
                   : Channel(std::shared_ptr<detail::ChannelCore>())) {}

template <class... Args>
Status ThreadSafeCallback::enqueue(bool block, Args&&... args) const {
  if constexpr (sizeof...(Args) == 1 &&
                (std::is_invocable_v<std::decay_t<Args>&, Napi::Env, Napi::Value, Napi::Function> &&
                 ...)) {
    return channel_.push_job(detail::closure_job(std::forward<Args>(args)...), block);
  } else {
    return channel_.push_job(
        [a = std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...)](
            const detail::RunContext& cx) mutable {
          napi_value ignored;
          detail::call_js(cx, a, std::index_sequence_for<Args...>{}, &ignored);
        },
        block);
  }
}

template <class... Args>
Status ThreadSafeCallback::call(Args&&... args) const {
  return enqueue(true, std::forward<Args>(args)...);
}

template <class... Args>
Status ThreadSafeCallback::try_call(Args&&... args) const {
  return enqueue(false, std::forward<Args>(args)...);
}

template <class R, class... Args>
std::future<Fallible<R>> ThreadSafeCallback::call_async(Args&&... args) const {
  detail::PromiseSlot<R> slot;
  std::future<Fallible<R>> future = slot.get_future();
  channel_.push_job(
      [a = std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...),
       slot = std::move(slot)](const detail::RunContext& cx) mutable {
        detail::call_and_complete<R>(cx, a, std::move(slot));
      },
      true);
  return future;
}

template <class R, class... Args>
Fallible<R> ThreadSafeCallback::call_sync(Args&&... args) const {
  if (channel_.on_js_thread()) return detail::Outcome<R>::would_deadlock().take();
  detail::OneShot<detail::Outcome<R>> waiter;
  channel_.push_job(
      [a = std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...),
       slot = detail::WaiterSlot<R>(&waiter)](const detail::RunContext& cx) mutable {
        detail::call_and_complete<R>(cx, a, std::move(slot));
      },
      true);
  return waiter.wait().take();
}

}  // namespace napix

#include "detail/typed_callback.h"
