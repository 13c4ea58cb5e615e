// napix/detail/outcome.h — what a round trip to the JS thread brings back (a value, a JS error, a
// C++ exception, or "closing"), and how it reaches a std::future or a blocked caller in both
// exception modes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <future>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "../config.h"
#include "../error.h"
#include "js_thread.h"
#include "waiter.h"
#include "visibility.h"

namespace napix {

namespace detail {

constexpr const char* kWouldDeadlockMessage =
    "napix: a blocking call (send_sync/call_sync) on the JavaScript thread would deadlock";

/// Why items destroyed unrun on this thread right now were refused. A refused call's closure is
/// destroyed on the refusing thread inside a RefusalScope, so the future it carries can tell
/// "queue full" from "closing"; everywhere else (abort, teardown) an unrun item means closing.
NAPIX_LOCAL inline Status& refusal_reason() noexcept {
  thread_local Status reason = Status::closing;
  return reason;
}

class RefusalScope {
 public:
  explicit RefusalScope(Status why) noexcept : previous_(std::exchange(refusal_reason(), why)) {}
  RefusalScope(const RefusalScope&) = delete;
  RefusalScope& operator=(const RefusalScope&) = delete;
  ~RefusalScope() { refusal_reason() = previous_; }

 private:
  Status previous_;
};

template <class T>
NAPIX_NOINLINE void destroy_refused_now(T& item, Status why) {
  RefusalScope scope(why);
  T dead(std::move(item));
}

/// Destroys a refused item now, inside a RefusalScope for `why` (a no-op for `ok`). Out of line:
/// on the send path it cost ~10 instructions per call by keeping the item's move from inlining.
template <class T>
void destroy_refused(T& item, Status why) {
  if (why != Status::ok) destroy_refused_now(item, why);
}

/// A finished round trip. Thread: made on the JS thread (or where the item was dropped), taken
/// on the waiting thread.
template <class R>
class Outcome {
 public:
  using Stored = std::conditional_t<std::is_void_v<R>, std::monostate, R>;

  template <class... A>
  static Outcome success(A&&... value) {
    Outcome o;
    o.v_.template emplace<0>(std::forward<A>(value)...);
    return o;
  }
  static Outcome js_error(JsError e) {
#if NAPIX_EXCEPTIONS
    return from_exception(std::make_exception_ptr(std::move(e)));
#else
    return failure(e.to_error());
#endif
  }
  static Outcome closing() {
#if NAPIX_EXCEPTIONS
    return from_exception(std::make_exception_ptr(ClosingError()));
#else
    return failure(Error("Error", ClosingError().what(), kClosingCode));
#endif
  }
  static Outcome queue_full() {
#if NAPIX_EXCEPTIONS
    return from_exception(std::make_exception_ptr(QueueFullError()));
#else
    return failure(Error("Error", QueueFullError().what(), kQueueFullCode));
#endif
  }
  static Outcome timeout() {
#if NAPIX_EXCEPTIONS
    return from_exception(std::make_exception_ptr(TimeoutError()));
#else
    return failure(Error(kTimeoutErrorName, TimeoutError().what(), kTimeoutCode));
#endif
  }
  /// What a call destroyed unrun reports: `queue_full` when destroyed as refused by a full queue
  /// (see RefusalScope), else `closing`.
  static Outcome unrun() {
    return refusal_reason() == Status::queue_full ? queue_full() : closing();
  }
  static Outcome would_deadlock() {
#if NAPIX_EXCEPTIONS
    return from_exception(std::make_exception_ptr(std::logic_error(kWouldDeadlockMessage)));
#else
    return failure(Error("Error", kWouldDeadlockMessage, kWouldDeadlockCode));
#endif
  }
  static Outcome failure(Error e) {
    Outcome o;
#if NAPIX_EXCEPTIONS
    o.v_.template emplace<1>(std::make_exception_ptr(
        JsError(std::move(e.name), std::move(e.message), {}, std::move(e.code))));
#else
    o.v_.template emplace<1>(std::move(e));
#endif
    return o;
  }
#if NAPIX_EXCEPTIONS
  static Outcome from_exception(std::exception_ptr e) {
    Outcome o;
    o.v_.template emplace<1>(std::move(e));
    return o;
  }
#endif

  /// The value, or (exceptions on) rethrows the error; (off) a Result. Thread: any.
  Fallible<R> take() && {
#if NAPIX_EXCEPTIONS
    if (v_.index() == 1) std::rethrow_exception(std::get<1>(v_));
    if constexpr (!std::is_void_v<R>) return std::move(std::get<0>(v_));
#else
    if (v_.index() == 1) return Result<R>(std::move(std::get<1>(v_)));
    if constexpr (std::is_void_v<R>) {
      return Result<void>();
    } else {
      return Result<R>(std::move(std::get<0>(v_)));
    }
#endif
  }

  /// Completes `promise` with this outcome. Thread: any.
  void fulfil(std::promise<Fallible<R>>& promise) && {
#if NAPIX_EXCEPTIONS
    if (v_.index() == 1) {
      promise.set_exception(std::get<1>(v_));
    } else if constexpr (std::is_void_v<R>) {
      promise.set_value();
    } else {
      promise.set_value(std::move(std::get<0>(v_)));
    }
#else
    promise.set_value(std::move(*this).take());
#endif
  }

 private:
  Outcome() = default;
#if NAPIX_EXCEPTIONS
  std::variant<Stored, std::exception_ptr> v_;
#else
  std::variant<Stored, Error> v_;
#endif
};

/// Takes the pending JS exception, if any, as a JsError (nothing is built when none is pending:
/// this runs on every call's hot path). Thread: JS thread only.
inline std::optional<JsError> take_pending_js_error(napi_env env) {
  napi_value error = take_pending_exception(env);
  if (error == nullptr) return std::nullopt;
  return JsError::from_value(Napi::Value(env, error));
}

/// The exception being handled as an outcome: a `Napi::Error` as the JsError it carries, anything
/// else as itself (the future rethrows it as its own type; exceptions off never get here); a JS
/// exception left pending beside it is dropped. Inside a catch block only. Thread: JS thread only.
template <class R>
Outcome<R> caught(napi_env env) {
  clear_pending_js_error(env);
  return on_caught([](const Napi::Error& e) { return Outcome<R>::js_error(JsError::from_value(e.Value())); },
                   [](Error e) {
#if NAPIX_EXCEPTIONS
                     (void)e;
                     return Outcome<R>::from_exception(std::current_exception());
#else
                     return Outcome<R>::failure(std::move(e));
#endif
                   });
}

/// Runs `f()` on the JS thread and captures how it ended: its value, a C++ exception, a
/// `Napi::Error`, or a JS exception it left pending. Thread: JS thread only.
template <class R, class F>
Outcome<R> capture(napi_env env, F&& f) {
  NAPIX_TRY {
    if constexpr (std::is_void_v<R>) {
      std::forward<F>(f)();
      if (std::optional<JsError> js = take_pending_js_error(env)) return Outcome<R>::js_error(std::move(*js));
      return Outcome<R>::success();
    } else {
      auto&& value = std::forward<F>(f)();
      if (std::optional<JsError> js = take_pending_js_error(env)) return Outcome<R>::js_error(std::move(*js));
      return Outcome<R>::success(std::forward<decltype(value)>(value));
    }
  }
  NAPIX_CATCH(...) { return caught<R>(env); }
#if !NAPIX_EXCEPTIONS
  return Outcome<R>::closing();  // unreachable: the exceptions-off NAPIX_TRY always returns
#endif
}

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

/// Where a call_async/call_sync result goes (typed calls keep a pointer to one); null for
/// fire-and-forget calls.
template <class R>
class Completion {
 public:
  virtual void complete(Outcome<R>&& outcome) = 0;
  /// Called once before the call runs; false: do not run it (a call_sync_for caller gave up).
  /// `complete` still follows, once, either way.
  virtual bool start() noexcept { return true; }

 protected:
  ~Completion() = default;
};

/// A blocking call with a deadline (send_sync_for, call_sync_for): the caller waits on it, the
/// queued call completes it, and either may be the last to touch it — the caller gives up at its
/// deadline and leaves while the call is still queued or running.
///
/// No reference count, and no write by the caller per call: the queued half's last touch is
/// `shot.set` (which, like any OneShot, touches only the address once the value is in), so after
/// a completed wait the caller's thread reuses it for its next timed call. A caller that gives up
/// sets "left" in `phase_`, and the queued half frees it when it completes. (A shared_ptr and a
/// per-call phase reset made call_sync_for 1.1x–1.2x call_sync: atomic counts, and cache lines
/// pulled across cores while the caller spins.)
template <class R>
class TimedCall final : public Completion<R> {
 public:
  /// This thread's TimedCall, emptied for a new call. Thread: the caller.
  static TimedCall* acquire() {
    TimedCall*& mine = held().call;
    if (mine == nullptr) {
      mine = new TimedCall();
    } else {
      mine->shot.reset();  // its last call completed: its queued half is done with it
    }
    return mine;
  }

  /// Whether the call may run: false once the caller gave up (`complete` then frees this).
  /// Thread: the JS thread, once.
  bool start() noexcept override {
    std::uint64_t w = phase_.load(std::memory_order_acquire);
    if ((w & kLeft) != 0) return false;
    // Fails only when the caller has just left.
    return phase_.compare_exchange_strong(w, w | kRunning, std::memory_order_acq_rel);
  }

  /// The call's outcome (unrun: destroyed or refused without running). Frees this when the
  /// caller left; otherwise counts the call done and hands it the outcome, the last touch.
  /// Thread: any, once.
  void complete(Outcome<R>&& outcome) override {
    std::uint64_t w = phase_.load(std::memory_order_acquire);
    for (;;) {
      if ((w & kLeft) != 0) {
        delete this;
        return;
      }
      if (phase_.compare_exchange_weak(w, ((w >> 2) + 1) << 2, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
        break;
      }
    }
    shot.set(std::move(outcome));
  }

  /// Waits up to `timeout`: the outcome, or a timeout. A call not yet started is abandoned (it
  /// never starts); a running one's result is discarded. Thread: the caller that acquired it.
  template <class Rep, class Period>
  Fallible<R> wait_for(const std::chrono::duration<Rep, Period>& timeout) {
    if (std::optional<Outcome<R>> done = shot.wait_for(timeout)) {
      ++completed_;
      return std::move(*done).take();
    }
    std::uint64_t w = completed_ << 2;  // queued
    if (phase_.compare_exchange_strong(w, w | kLeft, std::memory_order_acq_rel) ||
        (w == ((completed_ << 2) | kRunning) &&
         phase_.compare_exchange_strong(w, w | kLeft, std::memory_order_acq_rel))) {
      held().call = nullptr;  // the queued half frees it; this thread's next call takes a new one
      return Outcome<R>::timeout().take();
    }
    // Counted done: it completed just now, and its outcome is being stored.
    ++completed_;
    return shot.wait(std::chrono::nanoseconds(0)).take();
  }

  /// For tests: the thread's current TimedCall (null if none). Thread: the caller.
  static const TimedCall* current() noexcept { return held().call; }

  OneShot<Outcome<R>> shot;

 private:
  // phase_: (calls completed << 2) | kRunning (the JS thread started the current call) | kLeft
  // (its caller gave up). Between calls only the JS thread touches it, so the line stays in that
  // core's cache: on a line of its own (alignas pads the object after it too), away from the
  // one the caller spins on.
  // completed_ is the caller's (it counts every call): kept off that line.
  NAPIX_LOCAL static constexpr std::uint64_t kRunning = 1;
  NAPIX_LOCAL static constexpr std::uint64_t kLeft = 2;
  std::uint64_t completed_ = 0;  // the caller's count, equal to phase_ >> 2 between calls
  alignas(64) std::atomic<std::uint64_t> phase_{0};

  TimedCall() = default;
  ~TimedCall() = default;

  // The thread's TimedCall, freed when the thread exits (no call of its can then be in flight:
  // every one completed or was handed over).
  struct Held {
    TimedCall* call = nullptr;
    Held() = default;
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    ~Held() {
      delete call;
      call = nullptr;
    }
  };
  NAPIX_LOCAL static Held& held() noexcept {
    static thread_local Held h;
    return h;
  }
};

/// The queued half of a TimedCall in a Channel closure: `start()` before running (false: the
/// caller gave up, do not run); completes the call exactly once, with "closing" when destroyed
/// unrun. Move-only; 8 bytes.
template <class R>
class TimedSlot {
 public:
  explicit TimedSlot(TimedCall<R>* call) noexcept : call_(call) {}
  TimedSlot(TimedSlot&& other) noexcept : call_(std::exchange(other.call_, nullptr)) {}
  TimedSlot& operator=(TimedSlot&&) = delete;
  ~TimedSlot() {
    if (call_ != nullptr) call_->complete(Outcome<R>::unrun());
  }
  bool start() noexcept {
    if (call_->start()) return true;
    std::exchange(call_, nullptr)->complete(Outcome<R>::unrun());  // frees it
    return false;
  }
  void complete(Outcome<R>&& outcome) { std::exchange(call_, nullptr)->complete(std::move(outcome)); }

 private:
  TimedCall<R>* call_;
};

}  // namespace detail
}  // namespace napix
