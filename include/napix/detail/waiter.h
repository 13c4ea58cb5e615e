// napix/detail/waiter.h — a one-shot result slot for blocking round trips (call_sync, send_sync):
// the JS thread sets it once, the native thread that asked waits for it (no Node-API in here).
//
// Why spin first, and only sometimes: a round trip whose waiter blocks at once pays two thread
// wakeups (28 µs median on the bench's 2-core VM, raw tsfn + std::future); spinning a few µs
// first sees the answer in 8 µs. But on a busy machine the spinning thread holds a core the JS
// thread needs, so the spin is bounded by a budget learned from recent waits (SpinBudget in
// spin.h) and the waiter then blocks on a futex (doc/threading.md, "Waiting", has the measured
// trade-off; doc/design.md, "Round trips").
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "spin.h"
#include "visibility.h"

namespace napix {
namespace detail {

/// The adaptive spin budget of this thread's blocking waits (one per thread, shared by every
/// OneShot it waits on: a thread's round trips tend to go to the same JS thread). Zero-initialised
/// data and a constexpr constructor: no TLS guard. Thread: the thread itself.
NAPIX_LOCAL inline SpinBudget& waiter_budget() noexcept {
  static thread_local SpinBudget budget{std::chrono::microseconds(2),
                                        std::chrono::microseconds(20)};
  return budget;
}

/// A slot written once by one thread and read once by one waiting thread.
///
/// Errors are part of T, not of the slot: call_sync stores a `napix::Result<R>` (value or Error,
/// `Result<void>` for no value), so the slot is the same in both exception modes and has no error
/// policy of its own. A queued closure destroyed unrun must still `set` its slot (e.g. a closing
/// error) or its waiter waits forever.
///
/// Lifetime: `wait` and a `wait_for`/`wait_until` that returned a value may return while `set` is
/// still running, but `set` then touches only the slot's address (a futex wake, never its memory),
/// so the waiter may destroy the slot at once (e.g. on its stack). After a timed-out wait the
/// setter may still come: keep the slot alive for it (shared ownership) or make sure it can no
/// longer run.
template <class T, class P = Park>
class OneShot {
  static_assert(!std::is_reference_v<T>, "OneShot<T&> is not supported; store a pointer");
  static_assert(std::is_move_constructible_v<T>, "OneShot<T> needs a move-constructible T");

 public:
  /// The longest spin before blocking (the adaptive budget's ceiling): covers an idle round trip
  /// (8 µs median measured) with room, and bounds the busy core's cost.
  NAPIX_LOCAL static constexpr std::chrono::nanoseconds kDefaultSpin = std::chrono::microseconds(20);
  /// Pass as `spin` to let the thread's SpinBudget decide (the default).
  NAPIX_LOCAL static constexpr std::chrono::nanoseconds kAdaptive = std::chrono::nanoseconds(-1);

  OneShot() = default;
  OneShot(const OneShot&) = delete;  // threads hold its address
  OneShot& operator=(const OneShot&) = delete;
  ~OneShot() {
    if (state_.load(std::memory_order_acquire) == kSet && !taken_) value()->~T();
  }

  /// Stores the value and wakes the waiter. Setting twice is a bug: it aborts with a message.
  /// Thread: any (the JS thread, normally).
  void set(T value);

  /// Whether `set` happened. Thread: any.
  bool ready() const noexcept { return state_.load(std::memory_order_acquire) == kSet; }

  /// Empties the slot for another round (a value set but never taken is destroyed). Only when no
  /// other thread can still touch it: its setter is done, nobody waits. Thread: its owner.
  void reset() noexcept {
    if (state_.load(std::memory_order_acquire) == kSet && !taken_) value()->~T();
    state_.store(kEmpty, std::memory_order_relaxed);
    set_called_.store(false, std::memory_order_relaxed);
    taken_ = false;
  }

  /// Spins up to `spin` (0: not at all; kAdaptive: as the thread's budget says), then blocks until
  /// `set`; returns the value (moved out). Taking the value twice is a bug: it aborts.
  /// Thread: the one waiting thread.
  T wait(std::chrono::nanoseconds spin = kAdaptive);

  /// As `wait`, but gives up at `timeout` (the spin counts towards it) and returns nullopt; the
  /// value, if it comes later, can still be taken by another wait. A deadline on another clock
  /// than steady_clock is converted to it once. Thread: the one waiting thread.
  template <class Rep, class Period>
  std::optional<T> wait_for(const std::chrono::duration<Rep, Period>& timeout,
                            std::chrono::nanoseconds spin = kAdaptive);
  template <class Clock, class Duration>
  std::optional<T> wait_until(const std::chrono::time_point<Clock, Duration>& deadline,
                              std::chrono::nanoseconds spin = kAdaptive);

  /// Whether a waiter is blocked (past its spin), or spinning. For tests that must set the value
  /// exactly while the waiter is in one phase. Thread: any.
  bool has_sleeping_waiter() const noexcept { return state_.load() == kSleeping; }
  bool has_spinning_waiter() const noexcept { return state_.load() == kSpinning; }

 private:
  // The word the waiter blocks on. kSleeping tells `set` that a wake is needed.
  enum : std::uint32_t { kEmpty = 0, kSpinning = 1, kSleeping = 2, kSet = 3 };

  // Spins (if any), then blocks until set or `deadline` (null: none); true when set.
  bool await(std::chrono::nanoseconds spin, const std::chrono::steady_clock::time_point* deadline);
  // Spins until set or `end`; true when set. Checks the clock every few pauses only.
  bool spin_until(std::chrono::steady_clock::time_point end) const noexcept;
  T take();
  T* value() noexcept { return std::launder(reinterpret_cast<T*>(storage_)); }
  [[noreturn]] static void misuse(const char* message) noexcept;

  std::atomic<std::uint32_t> state_{kEmpty};
  std::atomic<bool> set_called_{false};
  bool taken_ = false;  // the waiting thread's
  // The value, constructed by `set` before state_ becomes kSet. Raw storage, not std::optional:
  // GCC 12 warns (maybe-uninitialized, an error under -Werror) on the optional's destructor.
  alignas(T) unsigned char storage_[sizeof(T)];
};

// ---------------------------------------------------------------------------------------------
// Definitions

template <class T, class P>
void OneShot<T, P>::set(T value) {
  if (set_called_.exchange(true, std::memory_order_relaxed)) {
    misuse("napix: FATAL: OneShot::set called twice\n");
  }
  ::new (static_cast<void*>(storage_)) T(std::move(value));
  // From here the waiter may take the value and destroy the slot: only the address is used.
  if (state_.exchange(kSet, std::memory_order_acq_rel) == kSleeping) P::wake_one(state_);
}

template <class T, class P>
T OneShot<T, P>::wait(std::chrono::nanoseconds spin) {
  await(spin, nullptr);
  return take();
}

template <class T, class P>
template <class Rep, class Period>
std::optional<T> OneShot<T, P>::wait_for(const std::chrono::duration<Rep, Period>& timeout,
                                         std::chrono::nanoseconds spin) {
  return wait_until(std::chrono::steady_clock::now() + timeout, spin);
}

template <class T, class P>
template <class Clock, class Duration>
std::optional<T> OneShot<T, P>::wait_until(const std::chrono::time_point<Clock, Duration>& deadline,
                                           std::chrono::nanoseconds spin) {
  std::chrono::steady_clock::time_point end;
  if constexpr (std::is_same_v<Clock, std::chrono::steady_clock>) {
    end = std::chrono::time_point_cast<std::chrono::steady_clock::duration>(deadline);
  } else {
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now());
    end = std::chrono::steady_clock::now() + left;
  }
  if (!await(spin, &end)) return std::nullopt;
  return take();
}

template <class T, class P>
bool OneShot<T, P>::await(std::chrono::nanoseconds spin,
                          const std::chrono::steady_clock::time_point* deadline) {
  if (state_.load(std::memory_order_acquire) == kSet) return true;
  WaitCounters& counters = wait_counters();
  SpinBudget* budget = nullptr;
  if (spin < std::chrono::nanoseconds(0)) {
    budget = &waiter_budget();
    spin = budget->next();
  }
  std::uint32_t expected = kEmpty;
  if (spin > std::chrono::nanoseconds(0)) {
    if (!state_.compare_exchange_strong(expected, kSpinning, std::memory_order_acq_rel)) {
      return true;  // set meanwhile (kEmpty is the only other state here)
    }
    const auto start = std::chrono::steady_clock::now();
    auto end = start + spin;
    if (deadline != nullptr && *deadline < end) end = *deadline;
    const bool hit = spin_until(end);
    // A spin cut short by the deadline says nothing about the other side: not recorded.
    if (budget != nullptr && (hit || end == start + spin)) {
      budget->record(hit, std::chrono::steady_clock::now() - start);
    }
    if (hit) {
      ++counters.spins_hit;
      return true;
    }
    ++counters.spins_missed;
    expected = kSpinning;
  } else {
    ++counters.blocked_at_once;
  }
  if (!state_.compare_exchange_strong(expected, kSleeping, std::memory_order_acq_rel)) return true;
  for (;;) {
    if (deadline != nullptr && std::chrono::steady_clock::now() >= *deadline) {
      expected = kSleeping;
      // Back to empty for a later wait, unless the value came just now.
      return !state_.compare_exchange_strong(expected, kEmpty, std::memory_order_acq_rel);
    }
    ++counters.sleeps;
    P::wait(state_, kSleeping, deadline);
    if (state_.load(std::memory_order_acquire) == kSet) return true;
  }
}

template <class T, class P>
bool OneShot<T, P>::spin_until(std::chrono::steady_clock::time_point end) const noexcept {
  // Pause only, never sched_yield: a yield on a busy core can hand it to a CPU-bound process for
  // a whole time slice (milliseconds) after the answer came. Past the budget the waiter blocks.
  for (unsigned i = 1;; ++i) {
    if (state_.load(std::memory_order_acquire) == kSet) return true;
    cpu_relax();
    // Reading the clock every 8 rounds keeps the overshoot well under a microsecond.
    if (i % 8 == 0 && std::chrono::steady_clock::now() >= end) {
      return state_.load(std::memory_order_acquire) == kSet;
    }
  }
}

template <class T, class P>
T OneShot<T, P>::take() {
  if (taken_) misuse("napix: FATAL: OneShot value taken twice\n");
  taken_ = true;
  T* v = value();
  T out(std::move(*v));
  v->~T();
  return out;
}

template <class T, class P>
void OneShot<T, P>::misuse(const char* message) noexcept {
  std::fputs(message, stderr);
  std::abort();
}

}  // namespace detail
}  // namespace napix
