// napix/detail/waiter.h — a one-shot result slot for blocking round trips (call_sync, send_sync):
// the JS thread sets it once, the native thread that asked waits for it (no Node-API in here).
//
// Why spin first: a waiter that sleeps at once pays two thread wakeups per round trip; spinning
// briefly first makes it several times faster (npm run bench, "Blocking call round trip";
// doc/design.md, "Round trips").
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86) || defined(_M_ARM64))
#include <intrin.h>
#endif

namespace napix {
namespace detail {

/// One processor hint that this thread is spinning (frees the core's resources for its sibling).
inline void cpu_relax() noexcept {
#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
  _mm_pause();
#elif defined(_MSC_VER) && defined(_M_ARM64)
  __yield();
#elif defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield");
#else
  std::this_thread::yield();
#endif
}

/// A slot written once by one thread and read once by one waiting thread.
///
/// Errors are part of T, not of the slot: call_sync stores a `napix::Result<R>` (value or Error,
/// `Result<void>` for no value), so the slot is the same in both exception modes and has no error
/// policy of its own. A queued closure destroyed unrun must still `set` its slot (e.g. a closing
/// error) or its waiter waits forever.
///
/// Lifetime: `set` may touch the slot until it returns; `wait` and a `wait_for`/`wait_until` that
/// returned a value return only after that, so the waiter may then destroy the slot (e.g. on its
/// stack). After a timed-out wait the setter may still come: keep the slot alive for it
/// (shared ownership) or make sure it can no longer run.
template <class T>
class OneShot {
  static_assert(!std::is_reference_v<T>, "OneShot<T&> is not supported; store a pointer");
  static_assert(std::is_move_constructible_v<T>, "OneShot<T> needs a move-constructible T");

 public:
  /// How long `wait` spins before sleeping by default: long enough to cover a JS round trip
  /// (2–3 µs measured), short enough to bound the busy core's cost.
  static constexpr std::chrono::nanoseconds kDefaultSpin = std::chrono::microseconds(20);
  /// Pause instructions before the spin starts yielding the core (about 1–2 µs).
  static constexpr unsigned kPauseSpins = 64;

  OneShot() = default;
  OneShot(const OneShot&) = delete;  // threads hold its address
  OneShot& operator=(const OneShot&) = delete;

  /// Stores the value and wakes the waiter. Setting twice is a bug: it aborts with a message.
  /// Thread: any (the JS thread, normally).
  void set(T value);

  /// Whether `set` happened. Thread: any.
  bool ready() const noexcept { return ready_.load(std::memory_order_acquire); }

  /// Spins up to `spin` (0: not at all), then sleeps until `set`; returns the value (moved out).
  /// Taking the value twice is a bug: it aborts. Thread: the one waiting thread.
  T wait(std::chrono::nanoseconds spin = kDefaultSpin);

  /// As `wait`, but gives up at `timeout` (the spin counts towards it) and returns nullopt; the
  /// value, if it comes later, can still be taken by another wait. Thread: the one waiting thread.
  template <class Rep, class Period>
  std::optional<T> wait_for(const std::chrono::duration<Rep, Period>& timeout,
                            std::chrono::nanoseconds spin = kDefaultSpin);
  template <class Clock, class Duration>
  std::optional<T> wait_until(const std::chrono::time_point<Clock, Duration>& deadline,
                              std::chrono::nanoseconds spin = kDefaultSpin);

  /// Whether a waiter is asleep on the condition variable (past its spin). For tests that must
  /// set the value exactly while the waiter sleeps. Thread: any.
  bool has_sleeping_waiter() const;

 private:
  // Spins until ready or `end`; true when ready. Checks the clock every few pauses only.
  bool spin_until(std::chrono::steady_clock::time_point end) const noexcept;
  T take_locked();
  [[noreturn]] static void misuse(const char* message) noexcept;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<T> value_;
  // Written under mutex_; atomic only so a spinning waiter and ready() may read it without it.
  std::atomic<bool> ready_{false};
  bool sleeping_ = false;
  bool taken_ = false;
};

// ---------------------------------------------------------------------------------------------
// Definitions

template <class T>
void OneShot<T>::set(T value) {
  // Everything under the lock, notify included: a waiter that saw ready_ while spinning still
  // takes the lock before returning, so it cannot destroy the slot while set() is inside it.
  std::lock_guard<std::mutex> lock(mutex_);
  if (ready_.load(std::memory_order_relaxed)) misuse("napix: FATAL: OneShot::set called twice\n");
  value_.emplace(std::move(value));
  ready_.store(true, std::memory_order_release);
  if (sleeping_) cv_.notify_one();
}

template <class T>
T OneShot<T>::wait(std::chrono::nanoseconds spin) {
  if (spin.count() > 0) spin_until(std::chrono::steady_clock::now() + spin);
  std::unique_lock<std::mutex> lock(mutex_);
  if (!ready_.load(std::memory_order_relaxed)) {
    sleeping_ = true;
    cv_.wait(lock, [this] { return ready_.load(std::memory_order_relaxed); });
    sleeping_ = false;
  }
  return take_locked();
}

template <class T>
template <class Rep, class Period>
std::optional<T> OneShot<T>::wait_for(const std::chrono::duration<Rep, Period>& timeout,
                                      std::chrono::nanoseconds spin) {
  return wait_until(std::chrono::steady_clock::now() + timeout, spin);
}

template <class T>
template <class Clock, class Duration>
std::optional<T> OneShot<T>::wait_until(const std::chrono::time_point<Clock, Duration>& deadline,
                                        std::chrono::nanoseconds spin) {
  if (spin.count() > 0) {
    // Spin on the steady clock, bounded by the deadline converted to it.
    const auto steady_now = std::chrono::steady_clock::now();
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now());
    spin_until(steady_now + std::min(spin, left));
  }
  std::unique_lock<std::mutex> lock(mutex_);
  if (!ready_.load(std::memory_order_relaxed)) {
    sleeping_ = true;
    const bool ready =
        cv_.wait_until(lock, deadline, [this] { return ready_.load(std::memory_order_relaxed); });
    sleeping_ = false;
    if (!ready) return std::nullopt;
  }
  return take_locked();
}

template <class T>
bool OneShot<T>::has_sleeping_waiter() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sleeping_;
}

template <class T>
bool OneShot<T>::spin_until(std::chrono::steady_clock::time_point end) const noexcept {
  for (unsigned i = 1;; ++i) {
    if (ready_.load(std::memory_order_acquire)) return true;
    // Pause briefly, then yield while spinning: on a busy machine (2 cores, measured) a pure
    // pause-spin keeps the core the JS thread needs to answer us and made round trips 5x slower;
    // yielding gives it away when someone waits for it and returns at once when nobody does.
    if (i < kPauseSpins) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
    // Reading the clock every 8 rounds keeps the overshoot well under a microsecond.
    if (i % 8 == 0 && std::chrono::steady_clock::now() >= end) return false;
  }
}

template <class T>
T OneShot<T>::take_locked() {
  if (taken_) misuse("napix: FATAL: OneShot value taken twice\n");
  taken_ = true;
  T out(std::move(*value_));
  value_.reset();
  return out;
}

template <class T>
void OneShot<T>::misuse(const char* message) noexcept {
  std::fputs(message, stderr);
  std::abort();
}

}  // namespace detail
}  // namespace napix
