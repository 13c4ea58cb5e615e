// napix/channel.h — napix::Channel: a handle to a queue drained on one environment's JS thread
// (Neon's Channel). Copies share the queue; any thread may send closures to run on the JS thread.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <cstddef>
#include <string>

#include "config.h"
#include "error.h"
#include "detail/dispatcher.h"
#include "detail/env.h"
#include "detail/outcome.h"
#include "detail/traits.h"
#include "detail/waiter.h"

namespace napix {

/// Options of a Channel (and of a ThreadSafeCallback: `CallbackOptions` is the same type).
struct ChannelOptions {
  /// The async resource name async_hooks and diagnostics see.
  std::string name = "napix";
  /// Most calls queued and not yet finished (0 = unbounded). `send`/`call` block while it is full,
  /// `try_send`/`try_call` return `Status::queue_full`.
  std::size_t max_queue = 0;
  /// Whether the queue keeps the event loop alive (`ref()`); false starts it `unref()`ed.
  bool keep_alive = true;
};

/// A queue of closures drained on the JavaScript thread of the environment that made it.
///
/// Closures run in the order each producer thread sent them, in batches: after a batch (at most
/// 1024 closures) Node drains microtasks and `process.nextTick` once — raw Node-API drains them
/// after every call. A closure that throws (C++ or JS) becomes an `uncaughtException`. A closure
/// that never runs (abort, teardown) is destroyed unrun, on whichever thread closes the queue.
class ThreadSafeCallback;
class Deferred;
namespace detail {
struct Inspect;  // tests' window into the queue (defined by napix's own test addon only)
}  // namespace detail

class Channel {
 public:
  /// Creates the queue. Thread: JS thread only.
  /// Errors: when Node-API cannot create it (the environment is closing), throws `Napi::Error`
  /// (exceptions off: leaves the JS exception pending); the Channel then reports `closing`.
  explicit Channel(Napi::Env env, ChannelOptions options = {});

  /// Thread: any (copies, moves and destruction). The last copy destroyed lets the event loop exit
  /// once the queue is drained.
  Channel(const Channel& other) noexcept = default;
  Channel(Channel&& other) noexcept = default;
  Channel& operator=(const Channel& other) noexcept = default;
  Channel& operator=(Channel&& other) noexcept = default;
  ~Channel() = default;

  /// Queues `f(Napi::Env)` to run on the JS thread; blocks while a bounded queue is full.
  /// Returns `ok`, or `closing` (nothing queued; `f` is destroyed). Thread: any. On the JS thread
  /// it never blocks (the queue can only drain there): a full queue gives `queue_full`.
  template <class F>
  Status send(F&& f) const;

  /// As `send`, never blocks: `queue_full` when a bounded queue is full. Thread: any.
  template <class F>
  Status try_send(F&& f) const;

  /// Queues `f(Napi::Env)` and returns a future of its result. A C++ exception or a JS exception
  /// from `f` reaches the future (`JsError` for JS); a closure destroyed unrun fails it with
  /// `ClosingError`. Exceptions off: the future holds a `Result<R>`. Thread: any.
  template <class F, class R = std::invoke_result_t<F&, Napi::Env>>
  std::future<Fallible<R>> send_async(F&& f) const;

  /// Queues `f(Napi::Env)` and waits for its result (spinning briefly, then sleeping).
  /// Errors: as `send_async`, thrown (exceptions off: returned as `Result<R>`); called on the JS
  /// thread it throws `std::logic_error` instead of deadlocking. Thread: any but the JS thread.
  template <class F, class R = std::invoke_result_t<F&, Napi::Env>>
  Fallible<R> send_sync(F&& f) const;

  /// As `send_sync`, giving up after `timeout` (any `std::chrono::duration`) with `TimeoutError`
  /// (exceptions off: a `Result` whose error has code `"ERR_NAPIX_TIMEOUT"`): a closure not yet
  /// started then never runs (it is destroyed unrun), one already running has its result
  /// discarded. The time counts from when the closure is queued (a bounded queue's wait for room
  /// comes first). On the JS thread: `std::logic_error` at once, `f` never runs.
  /// Thread: any but the JS thread.
  template <class Rep, class Period, class F, class R = std::invoke_result_t<F&, Napi::Env>>
  Fallible<R> send_sync_for(const std::chrono::duration<Rep, Period>& timeout, F&& f) const;

  /// Runs `f(Napi::Env)` on the JS thread and settles `d` with its result, like
  /// `Deferred::settle_with` (a throw rejects). Needs <napix/promise.h>. Returns as `send`; when
  /// the closure never runs, `d` is destroyed and its promise rejects with
  /// ERR_NAPIX_DEFERRED_DROPPED while JS can still run. Thread: any.
  /// (`d`'s type is spelled through F only so that this header needs no complete Deferred.)
  template <class F>
  Status settle_with(detail::dependent_t<Deferred, F> d, F&& f) const;

  /// As `settle_with`, but never blocks and never takes `d` unless it queued the closure: on `ok`
  /// `d` is moved from; on `queue_full` (a full bounded queue) or `closing`, `d` still holds its
  /// unsettled promise for the caller to retry or settle another way (`f` is destroyed either
  /// way). Needs <napix/promise.h>. Thread: any.
  template <class F>
  Status try_settle_with(detail::dependent_t<Deferred, F>& d, F&& f) const;

  /// Whether this queue keeps the event loop alive. Thread: JS thread only.
  void ref() const;
  void unref() const;
  bool has_ref() const;

  /// Stops accepting closures (later sends return `closing`) and destroys the queued ones unrun,
  /// failing their futures with `ClosingError`. Thread: any.
  void abort() const;

  /// Whether sends are refused now (aborted, environment gone, or a moved-from Channel).
  /// Thread: any; the answer may be stale when it returns.
  bool closed() const;

 private:
  friend class ThreadSafeCallback;
  friend struct detail::Inspect;
  template <class S>
  friend class TypedThreadSafeCallback;
  using Job = detail::ChannelJob;
  using Core = detail::Dispatcher<Job>;
  // A typed callback's queue (TypedThreadSafeCallback::channel()), or none (a closed handle).
  explicit Channel(std::shared_ptr<detail::ChannelCore> core) noexcept : core_(std::move(core)) {}

  // A ThreadSafeCallback is a Channel that also holds a function and its receiver.
  Channel(Napi::Env env, napi_value self, napi_value fn, const ChannelOptions& options);
  template <class F>
  Status push(F&& f, bool block) const;
  // `job(const RunContext&)`: the queue's own item form.
  template <class J>
  Status push_job(J&& job, bool block) const;
  bool on_js_thread() const { return core_ && core_->on_js_thread(); }
  // Before pushing a call the caller will wait for (see ChannelCore::note_round_trip).
  void note_round_trip() const noexcept {
    if (core_) core_->note_round_trip();
  }

  detail::CoreHandle<> core_;
};

// ---------------------------------------------------------------------------------------------
// Definitions

inline Channel::Channel(Napi::Env env, ChannelOptions options)
    : Channel(env, nullptr, nullptr, options) {}

inline Channel::Channel(Napi::Env env, napi_value self, napi_value fn,
                        const ChannelOptions& options)
    : core_(Core::create(env, detail::env_entry(env).trampoline(), self, fn, options.name,
                         options.max_queue, options.keep_alive)) {
#if NAPIX_EXCEPTIONS
  if (env.IsExceptionPending()) throw env.GetAndClearPendingException();
#endif
}

template <class F>
Status Channel::push(F&& f, bool block) const {
  return detail::send_to(core_.get(), std::forward<F>(f), block);
}

template <class J>
Status Channel::push_job(J&& job, bool block) const {
  return detail::push_job_to(core_.get(), std::forward<J>(job), block);
}

template <class F>
Status Channel::send(F&& f) const {
  return push(std::forward<F>(f), true);
}

template <class F>
Status Channel::try_send(F&& f) const {
  return push(std::forward<F>(f), false);
}

template <class F, class R>
std::future<Fallible<R>> Channel::send_async(F&& f) const {
  detail::PromiseSlot<R> slot;
  std::future<Fallible<R>> future = slot.get_future();
  push(
      [fn = std::forward<F>(f), slot = std::move(slot)](Napi::Env env) mutable {
        slot.complete(detail::capture<R>(env, [&] { return fn(env); }));
      },
      true);  // on `closing` the closure, and with it the slot, is destroyed: ClosingError
  return future;
}

template <class F, class R>
Fallible<R> Channel::send_sync(F&& f) const {
  if (on_js_thread()) return detail::Outcome<R>::would_deadlock().take();
  detail::OneShot<detail::Outcome<R>> waiter;
  note_round_trip();
  push(
      [fn = std::forward<F>(f), slot = detail::WaiterSlot<R>(&waiter)](Napi::Env env) mutable {
        slot.complete(detail::capture<R>(env, [&] { return fn(env); }));
      },
      true);
  return waiter.wait().take();
}

template <class Rep, class Period, class F, class R>
Fallible<R> Channel::send_sync_for(const std::chrono::duration<Rep, Period>& timeout, F&& f) const {
  if (on_js_thread()) return detail::Outcome<R>::would_deadlock().take();
  detail::TimedCall<R>* call = detail::TimedCall<R>::acquire();
  note_round_trip();
  push(
      [fn = std::forward<F>(f), slot = detail::TimedSlot<R>(call)](Napi::Env env) mutable {
        if (!slot.start()) return;  // the caller gave up before it started: never runs
        slot.complete(detail::capture<R>(env, [&] { return fn(env); }));
      },
      true);
  return call->wait_for(timeout);
}

inline void Channel::ref() const {
  if (core_) core_->ref();
}

inline void Channel::unref() const {
  if (core_) core_->unref();
}

inline bool Channel::has_ref() const { return core_ && core_->has_ref(); }

inline void Channel::abort() const {
  if (core_) core_->abort();
}

inline bool Channel::closed() const { return !core_ || core_->closed(); }

template <class F>
Status Channel::settle_with(detail::dependent_t<Deferred, F> d, F&& f) const {
  return send([d = std::move(d), fn = std::forward<F>(f)](Napi::Env) mutable {
    d.settle_with(fn);
  });
}

namespace detail {
// The item Channel::try_settle_with queues: a named type, so a refused one can be opened again
// (UniqueFunction::target) to give the Deferred back.
template <class D, class F>
struct SettleJob {
  D deferred;
  F fn;
  void operator()(const RunContext& cx) {
    cx.check_js = true;  // user code: see Dispatcher::run_batch
    deferred.settle_with(fn);
  }
};
}  // namespace detail

template <class F>
Status Channel::try_settle_with(detail::dependent_t<Deferred, F>& d, F&& f) const {
  using Job = detail::SettleJob<detail::dependent_t<Deferred, F>, std::decay_t<F>>;
  if (!core_) return Status::closing;
  detail::ChannelJob item(Job{std::move(d), std::forward<F>(f)});
  Status s = core_->push_job(item, false);  // moved from only on ok
  if (s != Status::ok) d = std::move(item.template target<Job>()->deferred);
  return s;
}

}  // namespace napix
