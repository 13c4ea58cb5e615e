// napix/detail/spin.h — waiting for another thread without stealing its CPU: a pause-spin bounded
// by a budget learned from recent waits (SpinBudget), then a block on a 32-bit word that the other
// side wakes (Park: a futex on Linux, a condition variable elsewhere). No Node-API in here.
//
// Why adaptive: on an idle machine a short spin turns a two-wakeup round trip into a few µs; on a
// busy one the spinning thread holds the core the other side needs to answer, and a fixed spin
// made call_sync slower than raw Node-API (bench: `npm run bench`, loaded rows). So a waiter spins
// only while recent spins saw their answer, and otherwise blocks at once, probing now and then.
#pragma once

#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#endif

#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86) || defined(_M_ARM64))
#include <intrin.h>
#endif

#include "visibility.h"

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

/// Blocks on a word until another thread changes it and wakes it: the futex shape (C++20's
/// atomic::wait, which C++17 lacks). `wait` may return spuriously: callers re-check the word.
/// Waking touches only the word's address, never its memory: a waiter may destroy the word as
/// soon as it saw the change, as with POSIX semaphores (glibc's sem_post wakes the same way).
struct BucketPark {
  /// Returns when `word != expected`, on a wake, at `deadline` (null: none), or spuriously.
  static void wait(const std::atomic<std::uint32_t>& word, std::uint32_t expected,
                   const std::chrono::steady_clock::time_point* deadline) {
    Bucket& b = bucket(&word);
    std::unique_lock<std::mutex> lock(b.mutex);
    // The waker changes the word before it takes this lock: seeing it unchanged here means its
    // notify comes after this thread sleeps.
    if (word.load(std::memory_order_acquire) != expected) return;
    if (deadline == nullptr) {
      b.cv.wait(lock);
    } else {
      b.cv.wait_until(lock, *deadline);
    }
  }
  static void wake_one(const std::atomic<std::uint32_t>& word) { wake_all(word); }
  static void wake_all(const std::atomic<std::uint32_t>& word) {
    Bucket& b = bucket(&word);
    { std::lock_guard<std::mutex> lock(b.mutex); }
    b.cv.notify_all();  // a bucket is shared by several words: wake all, they re-check
  }

 private:
  struct Bucket {
    std::mutex mutex;
    std::condition_variable cv;
  };
  NAPIX_LOCAL static Bucket& bucket(const void* p) {
    static Bucket* buckets = new Bucket[64];  // leaked: waits may outlive static destructors
    return buckets[(reinterpret_cast<std::uintptr_t>(p) >> 4) % 64];
  }
};

#if defined(__linux__)
/// The same with the Linux futex: a wake is one syscall, and only when someone sleeps.
struct FutexPark {
  static void wait(const std::atomic<std::uint32_t>& word, std::uint32_t expected,
                   const std::chrono::steady_clock::time_point* deadline) {
    static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t), "futex word");
    timespec rel{};
    if (deadline != nullptr) {
      const auto left = *deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) return;
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      rel.tv_sec = static_cast<time_t>(ns / 1000000000);
      rel.tv_nsec = static_cast<long>(ns % 1000000000);
    }
    // The kernel compares the word with `expected` atomically with going to sleep.
    syscall(SYS_futex, address(word), FUTEX_WAIT_PRIVATE, expected,
            deadline != nullptr ? &rel : nullptr, nullptr, 0);
  }
  static void wake_one(const std::atomic<std::uint32_t>& word) {
    syscall(SYS_futex, address(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  }
  static void wake_all(const std::atomic<std::uint32_t>& word) {
    syscall(SYS_futex, address(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
  }

 private:
  static std::uint32_t* address(const std::atomic<std::uint32_t>& word) {
    return reinterpret_cast<std::uint32_t*>(const_cast<std::atomic<std::uint32_t>*>(&word));
  }
};
using Park = FutexPark;
#else
using Park = BucketPark;
#endif

/// A duration in µs from environment variable `name` (napix's tuning knobs): `fallback` when it is
/// unset or empty, otherwise clamped to [0, max].
inline std::chrono::microseconds env_microseconds(const char* name, std::chrono::microseconds fallback,
                                                  std::chrono::microseconds max) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  const long long n = std::atoll(v);
  return n < 0 ? std::chrono::microseconds(0) : n > max.count() ? max : std::chrono::microseconds(n);
}

/// How a thread's waits ended, for tests (see test/cpp/waiter_test.cpp): spins that saw the
/// value, spins that ran out, waits that blocked without spinning, and sleeps on the word.
struct WaitCounters {
  std::uint64_t spins_hit;
  std::uint64_t spins_missed;
  std::uint64_t blocked_at_once;
  std::uint64_t sleeps;
};

/// This thread's counters (zero-initialised: no TLS guard). Thread: the thread itself.
NAPIX_LOCAL inline WaitCounters& wait_counters() noexcept {
  static thread_local WaitCounters counters{};
  return counters;
}

/// How long the next wait spins, learned from the last ones. A spin that saw its value within
/// the budget is a hit: the budget becomes 4x the running mean (1/4 weight) of hit times,
/// within [min, max]. A spin that ran out is a miss: the next 1, 3, 7 … 255 waits (doubling per
/// miss in a row) block at once, then one probes with the full `max`; a hit ends the back-off.
/// So an idle machine keeps spinning briefly, and a busy one spins on about 1 wait in 256.
/// `forgiven` misses in a row start no back-off (the next wait probes at once): for a waiter
/// whose other side pauses now and then for longer than its hits take (a stream writer, whose
/// reader stops for a garbage collection), where blocking on every other wait costs a wakeup.
/// Not thread-safe: one per waiting thread (or used under a lock). Bounds up to 4 s.
class SpinBudget {
 public:
  constexpr SpinBudget(std::chrono::nanoseconds min, std::chrono::nanoseconds max,
                       unsigned forgiven = 0) noexcept
      : min_ns_(static_cast<std::uint32_t>(min.count())),
        max_ns_(static_cast<std::uint32_t>(max.count())),
        mean_ns_(static_cast<std::uint32_t>(max.count() / 4)),
        forgiven_(forgiven < 4 ? forgiven : 4) {}

  /// The spin for this wait; zero: block at once.
  std::chrono::nanoseconds next() noexcept {
    if (skip_ > 0) {
      --skip_;
      return std::chrono::nanoseconds(0);
    }
    // A probe after misses spins the whole ceiling: the answer may now take longer than hits did.
    if (misses_ > 0) return std::chrono::nanoseconds(max_ns_);
    const std::uint64_t b = 4ull * mean_ns_;
    return std::chrono::nanoseconds(b < min_ns_ ? min_ns_ : b > max_ns_ ? max_ns_ : b);
  }

  /// The spin `next()` gave ended: saw the value after `spun` (hit), or ran out (miss).
  void record(bool hit, std::chrono::nanoseconds spun) noexcept {
    if (hit) {
      const auto ns = static_cast<std::int64_t>(spun.count() < max_ns_ ? spun.count() : max_ns_);
      mean_ns_ =
          static_cast<std::uint32_t>(mean_ns_ + (ns - static_cast<std::int64_t>(mean_ns_)) / 4);
      misses_ = 0;
      return;
    }
    if (misses_ < kMaxBackoff + forgiven_) ++misses_;
    skip_ = misses_ > forgiven_ ? (1u << (misses_ - forgiven_)) - 1 : 0;
  }

  /// Waits left in the back-off that block at once (0: the next `next()` spins); does not use one
  /// up. For tests also: new bounds (the history stays).
  unsigned skipping() const noexcept { return skip_; }
  void set_limits(std::chrono::nanoseconds min, std::chrono::nanoseconds max) noexcept {
    min_ns_ = static_cast<std::uint32_t>(min.count());
    max_ns_ = static_cast<std::uint32_t>(max.count());
  }

 private:
  // At most 255 waits between probes: a probe that misses costs a whole spin, and on a busy
  // machine one in 64 cost CPU time a few % above raw Node-API's in the loaded bench.
  NAPIX_LOCAL static constexpr unsigned kMaxBackoff = 8;
  std::uint32_t min_ns_;
  std::uint32_t max_ns_;
  std::uint32_t mean_ns_;
  unsigned forgiven_;
  unsigned misses_ = 0;  // misses in a row
  unsigned skip_ = 0;
};

/// How one budgeted spin ended: the word changed (hit), the budget ran out (missed), or the
/// budget was backing off and no spin was made (skipped).
enum class SpinEnd { hit, missed, skipped };

/// Spins (pause only) while `word` reads `seen`, for as long as `budget` allows now, and records
/// how it went in `budget`. For a waiter that re-checks its condition under its own lock after:
/// call it with that lock released.
template <class Word>
SpinEnd spin_while(SpinBudget& budget, const std::atomic<Word>& word, Word seen) noexcept {
  const std::chrono::nanoseconds spin = budget.next();
  if (spin <= std::chrono::nanoseconds(0)) return SpinEnd::skipped;
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + spin;
  for (unsigned i = 1;; ++i) {
    if (word.load(std::memory_order_acquire) != seen) {
      budget.record(true, std::chrono::steady_clock::now() - start);
      return SpinEnd::hit;
    }
    cpu_relax();
    // Reading the clock every 8 rounds keeps the overshoot well under a microsecond.
    if (i % 8 == 0 && std::chrono::steady_clock::now() >= end) break;
  }
  budget.record(false, spin);
  return SpinEnd::missed;
}

}  // namespace detail
}  // namespace napix
