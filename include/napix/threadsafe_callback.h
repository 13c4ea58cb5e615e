// napix/threadsafe_callback.h — a copyable handle to one JS function (and receiver) that any
// thread may call (the Neon ThreadSafeCallback RFC, node-addon-api's ThreadSafeFunction).
// TypedThreadSafeCallback<R(Args...)>, the fast path with the signature fixed at compile time,
// is in typed_threadsafe_callback.h.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "channel.h"
#include "convert.h"
#include "detail/js_call.h"

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

  /// As `call_sync`, giving up after `timeout` (any `std::chrono::duration`) with `TimeoutError`
  /// (exceptions off: a `Result` whose error has code `"ERR_NAPIX_TIMEOUT"`): a call not yet
  /// started then never happens — JS never sees it; its arguments are destroyed unconverted —, one
  /// already running (or a returned promise not yet settled) has its result discarded. The time
  /// counts from when the call is queued. On the JS thread: `std::logic_error` at once.
  /// Thread: any but the JS thread.
  template <class R = void, class Rep, class Period, class... Args>
  Fallible<R> call_sync_for(const std::chrono::duration<Rep, Period>& timeout, Args&&... args) const;

  /// Error-first (Node's callback convention, napi-rs's `CalleeHandled`): a value calls
  /// `fn(null, value)` (`fn(null)` for `Result<void>`), an error calls `fn(error)` with the JS
  /// `Error` `to_js` makes of it (`name`, `message`, `code`). Blocks and returns as `call`.
  /// Thread: any.
  template <class T>
  Status call_error_first(Result<T> result) const;
  /// As `call_error_first`, never blocks: `queue_full` when a bounded queue is full. Thread: any.
  template <class T>
  Status try_call_error_first(Result<T> result) const;

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
  template <class T>
  Status enqueue_error_first(bool block, Result<T>&& result) const;

  Channel channel_;
};

// ---------------------------------------------------------------------------------------------
// Definitions

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

template <class T>
Status ThreadSafeCallback::enqueue_error_first(bool block, Result<T>&& result) const {
  return channel_.push_job(
      [r = std::move(result)](const detail::RunContext& cx) mutable {
        napi_value ignored;
        if (!r.ok()) {
          std::tuple<Error> a(std::move(r).error());
          detail::call_js(cx, a, std::index_sequence<0>{}, &ignored);
        } else if constexpr (std::is_void_v<T>) {
          std::tuple<std::nullptr_t> a(nullptr);
          detail::call_js(cx, a, std::index_sequence<0>{}, &ignored);
        } else {
          std::tuple<std::nullptr_t, T> a(nullptr, std::move(r).value());
          detail::call_js(cx, a, std::index_sequence<0, 1>{}, &ignored);
        }
      },
      block);
}

template <class T>
Status ThreadSafeCallback::call_error_first(Result<T> result) const {
  return enqueue_error_first(true, std::move(result));
}

template <class T>
Status ThreadSafeCallback::try_call_error_first(Result<T> result) const {
  return enqueue_error_first(false, std::move(result));
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
  channel_.note_round_trip();
  channel_.push_job(
      [a = std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...),
       slot = detail::WaiterSlot<R>(&waiter)](const detail::RunContext& cx) mutable {
        detail::call_and_complete<R>(cx, a, std::move(slot));
      },
      true);
  return waiter.wait().take();
}

template <class R, class Rep, class Period, class... Args>
Fallible<R> ThreadSafeCallback::call_sync_for(const std::chrono::duration<Rep, Period>& timeout,
                                              Args&&... args) const {
  if (channel_.on_js_thread()) return detail::Outcome<R>::would_deadlock().take();
  detail::TimedCall<R>* call = detail::TimedCall<R>::acquire();
  channel_.note_round_trip();
  channel_.push_job(
      [a = std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...),
       slot = detail::TimedSlot<R>(call)](const detail::RunContext& cx) mutable {
        if (!slot.start()) return;  // the caller gave up before it started: JS never sees it
        detail::call_and_complete<R>(cx, a, std::move(slot));
      },
      true);
  return call->wait_for(timeout);
}

}  // namespace napix

// napix 0.1 defined TypedThreadSafeCallback here: code that includes only this header keeps
// compiling. (Its own header includes this one first, so either order works.)
#include "typed_threadsafe_callback.h"
