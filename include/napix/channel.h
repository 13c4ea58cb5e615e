// napix/channel.h — napix::Channel: a handle to a queue drained on one environment's JS thread
// (Neon's Channel). Copies share the queue; any thread may send closures to run on the JS thread.
#pragma once

#include <future>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "config.h"
#include "error.h"
#include "detail/dispatcher.h"
#include "detail/outcome.h"
#include "detail/unique_function.h"
#include "detail/waiter.h"

namespace napix {

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
  Channel(const Channel& other) noexcept;
  Channel(Channel&& other) noexcept = default;
  Channel& operator=(const Channel& other) noexcept;
  Channel& operator=(Channel&& other) noexcept;
  ~Channel();

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

  /// Runs `f(Napi::Env)` on the JS thread and settles `d` with its result, like
  /// `Deferred::settle_with` (a throw rejects). Needs <napix/promise.h>. Returns as `send`; when
  /// the closure never runs, `d` is destroyed and its promise rejects with
  /// ERR_NAPIX_DEFERRED_DROPPED while JS can still run. Thread: any.
  template <class F>
  Status settle_with(Deferred d, F&& f) const;

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
  // A typed callback's queue (TypedThreadSafeCallback::channel()).
  explicit Channel(std::shared_ptr<detail::ChannelCore> core) noexcept : core_(std::move(core)) {
    if (core_) core_->add_handle();
  }

  // A ThreadSafeCallback is a Channel that also holds a function and its receiver.
  Channel(Napi::Env env, napi_value self, napi_value fn, const ChannelOptions& options);
  template <class F>
  Status push(F&& f, bool block) const;
  // `job(const RunContext&)`: the queue's own item form.
  template <class J>
  Status push_job(J&& job, bool block) const;
  bool on_js_thread() const { return core_ && core_->on_js_thread(); }

  std::shared_ptr<detail::ChannelCore> core_;
};

namespace detail {

/// Completes a std::promise exactly once; if never completed (the closure holding it was destroyed
/// unrun), fails it with ClosingError. Move-only.
template <class R>
class PromiseSlot {
 public:
  PromiseSlot() = default;
  PromiseSlot(PromiseSlot&& other) noexcept
      : promise_(std::move(other.promise_)), armed_(std::exchange(other.armed_, false)) {}
  PromiseSlot& operator=(PromiseSlot&&) = delete;
  ~PromiseSlot() {
    if (armed_) Outcome<R>::unrun().fulfil(promise_);
  }
  std::future<Fallible<R>> get_future() { return promise_.get_future(); }
  void complete(Outcome<R>&& outcome) {
    armed_ = false;
    std::move(outcome).fulfil(promise_);
  }

 private:
  std::promise<Fallible<R>> promise_;
  bool armed_ = true;
};

/// Points at a OneShot on a blocked caller's stack; completes it exactly once, with "closing"
/// when destroyed unrun. Move-only; 8 bytes.
template <class R>
class WaiterSlot {
 public:
  explicit WaiterSlot(OneShot<Outcome<R>>* waiter) noexcept : waiter_(waiter) {}
  WaiterSlot(WaiterSlot&& other) noexcept : waiter_(std::exchange(other.waiter_, nullptr)) {}
  WaiterSlot& operator=(WaiterSlot&&) = delete;
  ~WaiterSlot() {
    if (waiter_ != nullptr) waiter_->set(Outcome<R>::unrun());
  }
  void complete(Outcome<R>&& outcome) { std::exchange(waiter_, nullptr)->set(std::move(outcome)); }

 private:
  OneShot<Outcome<R>>* waiter_;
};

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Definitions

inline Channel::Channel(Napi::Env env, ChannelOptions options)
    : Channel(env, nullptr, nullptr, options) {}

inline Channel::Channel(Napi::Env env, napi_value self, napi_value fn,
                        const ChannelOptions& options)
    : core_(Core::create(env, self, fn, options)) {
  core_->add_handle();
#if NAPIX_EXCEPTIONS
  if (env.IsExceptionPending()) throw env.GetAndClearPendingException();
#endif
}

inline Channel::Channel(const Channel& other) noexcept : core_(other.core_) {
  if (core_) core_->add_handle();
}

inline Channel& Channel::operator=(const Channel& other) noexcept {
  if (this != &other) *this = Channel(other);
  return *this;
}

inline Channel& Channel::operator=(Channel&& other) noexcept {
  if (this != &other) {
    if (core_) core_->drop_handle();
    core_ = std::move(other.core_);
  }
  return *this;
}

inline Channel::~Channel() {
  if (core_) core_->drop_handle();
}

template <class F>
Status Channel::push(F&& f, bool block) const {
  static_assert(std::is_invocable_v<std::decay_t<F>&, Napi::Env>,
                "napix::Channel::send: the closure must be callable as f(Napi::Env)");
  return push_job(
      [fn = std::forward<F>(f)](const detail::RunContext& cx) mutable {
        cx.check_js = true;  // user code: see Dispatcher::run_batch
        fn(Napi::Env(cx.env));
      },
      block);
}

template <class J>
Status Channel::push_job(J&& job, bool block) const {
  if (!core_) return Status::closing;
  Job item(std::forward<J>(job));
  Status s = core_->push_job(item, block);  // the dispatcher turns a JS-thread block into a try
  detail::destroy_refused(item, s);  // a future inside learns queue_full from closing
  return s;
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
  push(
      [fn = std::forward<F>(f), slot = detail::WaiterSlot<R>(&waiter)](Napi::Env env) mutable {
        slot.complete(detail::capture<R>(env, [&] { return fn(env); }));
      },
      true);
  return waiter.wait().take();
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

}  // namespace napix
