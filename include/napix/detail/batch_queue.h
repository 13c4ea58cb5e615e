// napix/detail/batch_queue.h — the queue behind Channel and ThreadSafeCallback: producers on any
// thread push, the JS thread drains batches after one wakeup per empty→non-empty transition (no
// Node-API in here; the wakeup is a callable the caller supplies).
//
// Why not one napi_threadsafe_function call per item: FINDINGS.md measures 2.8–3.3x the throughput
// and half the instructions for one wakeup per batch, and Node's own teardown wakes only one
// blocked producer (hang or parked threads); this queue wakes them all.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <iterator>
#include <mutex>
#include <utility>
#include <vector>

#include "unique_function.h"

namespace napix {
namespace detail {

/// What `BatchQueue::push`/`try_push` did. The lead maps it onto `napix::Status`.
enum class PushResult : unsigned char {
  ok,          ///< queued; the item was moved from
  queue_full,  ///< `try_push` on a full bounded queue; the item is untouched
  closing,     ///< the queue is closed (or its wake target is gone); the item is untouched
};

/// What `BatchQueue::drain` took.
struct DrainResult {
  std::size_t taken = 0;  ///< items moved into the batch
  /// Items remain after `max_items`: the wake stays outstanding (pushes do not wake again), so
  /// the consumer must schedule its next drain itself — after yielding to the event loop.
  bool more = false;
};

/// A multi-producer, single-consumer queue that wakes its consumer once per batch.
///
/// Protocol: `push` calls `wake()` only when no wake is outstanding; `drain` (consumer) takes the
/// queued items and clears the outstanding flag, so the first push after a drain wakes again.
/// `release(n)` after running n drained items frees their slots in a bounded queue. `close()`
/// rejects later pushes, wakes every blocked producer and hands back the items never drained.
///
/// Lifetime: destroy it only after `close()` or when no other thread can touch it; remaining
/// items are then destroyed unrun. T's move constructor should not throw: a throwing move inside
/// drain/close leaves the queue usable but may lose the items being moved.
template <class T>
class BatchQueue {
 public:
  /// Called with the queue's mutex held, so once `close()` has returned no wake is running or
  /// will run: the caller may then release what `wake` points at (a tsfn). Returns false when the
  /// target is gone; the queue then closes. Must not throw or call back into this queue.
  using WakeFunction = UniqueFunction<bool()>;

  /// Shrink policy: when the queue empties and its spare buffer holds more than this many slots
  /// while fewer than a quarter were used by the batch just drained, the buffer is freed (outside
  /// the lock) and regrows on demand — a burst does not pin its peak memory forever.
  static constexpr std::size_t kShrinkMinCapacity = 4096;
  static constexpr std::size_t kShrinkRatio = 4;

  /// `max_queue` counts items from push until `release` (0 = unbounded). Thread: any.
  BatchQueue(std::size_t max_queue, WakeFunction wake);
  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  /// Queues `item` by moving from it — only on `ok`; on any other result the caller still owns
  /// it unchanged (to destroy it, or to report what was rejected). Blocks while a bounded queue
  /// is full; `close()` ends the wait with `closing`. Calling it on the consumer thread with a
  /// full bounded queue deadlocks (the caller must guard that, as Node's napi_would_deadlock).
  /// Thread: any.
  PushResult push(T& item);
  /// As `push`, but `queue_full` instead of blocking. Thread: any.
  PushResult try_push(T& item);

  /// Moves up to `max_items` queued items (0 = all) into `batch`, in push order (per producer).
  /// `batch`'s old contents are destroyed first; with everything taken the two vectors swap
  /// buffers, so a steady state allocates nothing. See `DrainResult::more`.
  /// Thread: the consumer only.
  DrainResult drain(std::vector<T>& batch, std::size_t max_items = 0);

  /// The consumer finished `n` drained items (ran or destroyed them): frees their slots and wakes
  /// blocked producers if any wait. Thread: the consumer only (any thread is safe).
  void release(std::size_t n);

  /// Rejects all later pushes (`closing`, no wake), wakes every blocked producer, and returns the
  /// items never drained so the caller destroys them unrun outside the lock. Idempotent: a second
  /// call returns what was left (normally nothing). Thread: any.
  std::vector<T> close();

  /// Thread: any (snapshots; the answer may be stale when it returns).
  bool closed() const;
  std::size_t size() const;               ///< queued, not yet drained
  std::size_t outstanding() const;        ///< counted against max_queue: queued + unreleased
  std::size_t blocked_producers() const;  ///< producers waiting in `push` for room
  std::size_t capacity() const;           ///< slots of the internal buffer (shrink policy)
  std::size_t max_queue() const noexcept { return max_queue_; }

 private:
  PushResult push_impl(T& item, bool block);
  void close_locked();
  typename std::vector<T>::iterator slot(std::size_t i) {
    return items_.begin() + static_cast<std::ptrdiff_t>(i);
  }

  mutable std::mutex mutex_;
  std::condition_variable not_full_;
  // Items live in [head_, items_.size()); a partial drain advances head_ instead of erasing the
  // front, and compacts once the consumed prefix outgrows the rest (amortised O(1) per item).
  std::vector<T> items_;
  std::size_t head_ = 0;
  std::size_t outstanding_ = 0;
  std::size_t waiters_ = 0;  // counted so push/release skip notify syscalls when nobody waits
  const std::size_t max_queue_;
  bool wake_pending_ = false;  // invariant: !wake_pending_ implies the queue is empty
  bool closed_ = false;
  WakeFunction wake_;
};

// ---------------------------------------------------------------------------------------------
// Definitions

template <class T>
BatchQueue<T>::BatchQueue(std::size_t max_queue, WakeFunction wake)
    : max_queue_(max_queue), wake_(std::move(wake)) {}

template <class T>
PushResult BatchQueue<T>::push(T& item) {
  return push_impl(item, true);
}

template <class T>
PushResult BatchQueue<T>::try_push(T& item) {
  return push_impl(item, false);
}

template <class T>
PushResult BatchQueue<T>::push_impl(T& item, bool block) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (closed_) return PushResult::closing;
  if (max_queue_ != 0 && outstanding_ >= max_queue_) {
    if (!block) return PushResult::queue_full;
    ++waiters_;
    not_full_.wait(lock, [this] { return closed_ || outstanding_ < max_queue_; });
    --waiters_;
    if (closed_) return PushResult::closing;
  }
  if (!wake_pending_) {
    // Wake before storing: if the target is gone the item stays with the caller. The lock keeps
    // the consumer from draining in between, so the order is invisible to it.
    if (!wake_()) {
      close_locked();
      return PushResult::closing;
    }
    wake_pending_ = true;
  }
  items_.push_back(std::move(item));
  ++outstanding_;
  return PushResult::ok;
}

template <class T>
DrainResult BatchQueue<T>::drain(std::vector<T>& batch, std::size_t max_items) {
  batch.clear();
  std::vector<T> freed;  // a shrunk buffer, released after unlocking
  DrainResult result;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t available = items_.size() - head_;
    if (max_items == 0 || available <= max_items) {
      if (head_ == 0) {
        items_.swap(batch);
      } else {
        batch.insert(batch.end(), std::make_move_iterator(slot(head_)),
                     std::make_move_iterator(items_.end()));
        items_.clear();
        head_ = 0;
      }
      result.taken = available;
      wake_pending_ = false;
      // The buffer now waiting for pushes came from the previous batch; judge it by this one.
      if (items_.capacity() > kShrinkMinCapacity && available < items_.capacity() / kShrinkRatio) {
        freed.swap(items_);
      }
    } else {
      const auto first = slot(head_);
      batch.insert(batch.end(), std::make_move_iterator(first),
                   std::make_move_iterator(first + static_cast<std::ptrdiff_t>(max_items)));
      head_ += max_items;
      result.taken = max_items;
      result.more = true;  // wake_pending_ stays set: pushes must not wake a consumer that will
                           // come back by itself, and nothing is stranded
      if (head_ >= items_.size() - head_) {
        items_.erase(items_.begin(), slot(head_));
        head_ = 0;
      }
    }
  }
  return result;
}

template <class T>
void BatchQueue<T>::release(std::size_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  outstanding_ -= std::min(n, outstanding_);  // over-release is a caller bug; never wrap
  if (waiters_ == 0 || n == 0) return;
  if (n == 1 || waiters_ == 1) {
    not_full_.notify_one();
  } else {
    not_full_.notify_all();
  }
}

template <class T>
std::vector<T> BatchQueue<T>::close() {
  std::vector<T> rest;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    close_locked();
    if (head_ != 0) {
      items_.erase(items_.begin(), slot(head_));
      head_ = 0;
    }
    rest.swap(items_);
    outstanding_ -= std::min(rest.size(), outstanding_);
  }
  return rest;
}

template <class T>
void BatchQueue<T>::close_locked() {
  if (closed_) return;
  closed_ = true;
  // All of them: Node's tsfn wakes one blocked producer at teardown and the rest hang
  // (FINDINGS.md, "napi_threadsafe_function at teardown").
  if (waiters_ != 0) not_full_.notify_all();
}

template <class T>
bool BatchQueue<T>::closed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_;
}

template <class T>
std::size_t BatchQueue<T>::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return items_.size() - head_;
}

template <class T>
std::size_t BatchQueue<T>::outstanding() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return outstanding_;
}

template <class T>
std::size_t BatchQueue<T>::capacity() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return items_.capacity();
}

template <class T>
std::size_t BatchQueue<T>::blocked_producers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return waiters_;
}

}  // namespace detail
}  // namespace napix
