// napix/typed_threadsafe_callback.h — TypedThreadSafeCallback<R(Args...)>: a ThreadSafeCallback
// with its signature fixed at compile time. Calls are stored as `std::tuple<Args...>` plus one
// completion pointer in their own typed queue, so a queued fire-and-forget `void(int)` call costs
// 12 bytes and no allocation (the fastest form in npm run bench; doc/design.md,
// "ThreadSafeCallback and the typed queue").
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <type_traits>
#include <utility>

#include "channel.h"
#include "threadsafe_callback.h"
#include "detail/typed_call.h"

namespace napix {

/// `TypedThreadSafeCallback<R(Args...)>`: the signature fixed at compile time, like
/// `std::function<R(Args...)>`. Calls are stored as `std::tuple<Args...>` plus one pointer in a
/// typed queue (no per-call allocation or type erasure); arguments are converted by `to_js` on
/// the JS thread and the result by `from_js<R>`. Arguments not convertible to `Args...` do not
/// compile. Otherwise it behaves as ThreadSafeCallback.
template <class Signature>
class TypedThreadSafeCallback;

template <class R, class... Args>
class TypedThreadSafeCallback<R(Args...)> {
  static_assert(!std::is_reference_v<R>, "TypedThreadSafeCallback<R(Args...)>: R cannot be a reference");
  static_assert((!std::is_reference_v<Args> && ...),
                "TypedThreadSafeCallback<R(Args...)>: arguments are stored by value; drop the &");

 public:
  using Call = detail::TypedCall<R, Args...>;

  /// Thread: JS thread only. Errors: as ThreadSafeCallback's constructors (a TypeError for a
  /// non-function `fn` or a `self` Node-API cannot hold; exceptions off: an empty, closed handle).
  explicit TypedThreadSafeCallback(Napi::Function fn, CallbackOptions options = {})
      : TypedThreadSafeCallback(Napi::Value(), fn, std::move(options)) {}
  TypedThreadSafeCallback(Napi::Value self, Napi::Function fn, CallbackOptions options = {});

  /// Thread: any (copies, moves and destruction), as for ThreadSafeCallback.
  TypedThreadSafeCallback(const TypedThreadSafeCallback&) noexcept = default;
  TypedThreadSafeCallback(TypedThreadSafeCallback&&) noexcept = default;
  TypedThreadSafeCallback& operator=(const TypedThreadSafeCallback&) noexcept = default;
  TypedThreadSafeCallback& operator=(TypedThreadSafeCallback&&) noexcept = default;
  ~TypedThreadSafeCallback() = default;

  /// Queues `fn(args...)`; blocks while a bounded queue is full. Thread: any.
  Status call(Args... args) const { return push(nullptr, true, std::move(args)...); }
  /// As `call`, `queue_full` instead of blocking. Thread: any.
  Status try_call(Args... args) const { return push(nullptr, false, std::move(args)...); }

  /// As ThreadSafeCallback::call_async, with R fixed. Thread: any.
  std::future<Fallible<R>> call_async(Args... args) const {
    auto* c = new detail::AsyncCompletion<R>();
    std::future<Fallible<R>> future = c->get_future();
    push(c, true, std::move(args)...);  // refused: the call's destructor completes c
    return future;
  }

  /// As ThreadSafeCallback::call_sync. Thread: any but the JS thread.
  Fallible<R> call_sync(Args... args) const {
    if (core_ && core_->on_js_thread()) return detail::Outcome<R>::would_deadlock().take();
    detail::SyncCompletion<R> c;
    if (core_) core_->note_round_trip();
    push(&c, true, std::move(args)...);
    return c.wait().take();
  }

  /// As ThreadSafeCallback::call_sync_for: gives up after `timeout` with `TimeoutError`; a call
  /// not yet started then never happens, a running one's result is discarded.
  /// Thread: any but the JS thread.
  template <class Rep, class Period>
  Fallible<R> call_sync_for(const std::chrono::duration<Rep, Period>& timeout, Args... args) const {
    if (core_ && core_->on_js_thread()) return detail::Outcome<R>::would_deadlock().take();
    detail::TimedCall<R>* timed = detail::TimedCall<R>::acquire();
    if (core_) core_->note_round_trip();
    push(timed, true, std::move(args)...);  // refused: completed
    return timed->wait_for(timeout);
  }

  /// As for Channel.
  void ref() const {
    if (core_) core_->ref();
  }
  void unref() const {
    if (core_) core_->unref();
  }
  bool has_ref() const { return core_ && core_->has_ref(); }
  void abort() const {
    if (core_) core_->abort();
  }
  bool closed() const { return !core_ || core_->closed(); }

  /// A Channel onto this callback's own queue: its closures run in order with the calls (each
  /// one is boxed on the heap; typed calls stay unboxed). Copies count as handles of the
  /// callback. Thread: any.
  Channel channel() const { return Channel(core_.shared()); }

 private:
  friend struct detail::Inspect;
  using Core = detail::Dispatcher<Call>;

  Status push(detail::Completion<R>* done, bool block, Args&&... args) const {
    Call call(done, std::move(args)...);
    if (!core_) return Status::closing;
    Status s = core_->push(call, block);
    detail::destroy_refused(call, s);  // a call_async future learns queue_full from closing
    return s;
  }

  detail::CoreHandle<Core> core_;
};

template <class R, class... Args>
TypedThreadSafeCallback<R(Args...)>::TypedThreadSafeCallback(Napi::Value self, Napi::Function fn,
                                                            CallbackOptions options)
    : core_(detail::check_callback("napix::TypedThreadSafeCallback", self, fn)
                ? Core::create(fn.Env(), detail::env_entry(fn.Env()).trampoline(),
                               detail::receiver(self), fn, options.name, options.max_queue,
                               options.keep_alive)
                : nullptr) {
  if (!core_) return;  // exceptions off: the TypeError is pending
#if NAPIX_EXCEPTIONS
  if (fn.Env().IsExceptionPending()) throw fn.Env().GetAndClearPendingException();
#endif
}

}  // namespace napix
