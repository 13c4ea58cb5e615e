// napix/detail/batch_queue.h — the queue behind Channel and ThreadSafeCallback: producers on any
// thread push, the JS thread drains batches after one wakeup per empty→non-empty transition (no
// Node-API in here; the wakeup is a callable the caller supplies).
//
// Why not one napi_threadsafe_function call per item: one wakeup per batch gives several times the
// throughput at about half the instructions (npm run bench, bench/callgrind.js), and Node's own
// teardown wakes only one blocked producer (doc/design.md, behaviour 1); this queue wakes them all.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <memory>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "unique_function.h"
#include "visibility.h"

namespace napix {
namespace detail {

/// What `BatchQueue::push`/`try_push` did. The lead maps it onto `napix::Status`.
enum class PushResult : unsigned char {
  ok,          ///< queued; the item was moved from
  queue_full,  ///< `try_push` on a full bounded queue; the item is untouched
  closing,     ///< the queue is closed (or its wake target is gone); the item is untouched
};

/// A test hook, not an API: called by a push that allocates a block, before it touches the
/// block's pages, with the queue's lock released (test/cpp/batch_queue_test.cpp). Process-wide.
NAPIX_LOCAL inline std::atomic<void (*)()> batch_queue_block_hook{nullptr};

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
/// queued items and clears the outstanding flag, so the first push after a drain wakes again —
/// unless the consumer drains `stay_awake`: it then watches `events()` for a while and must end
/// with `sleep_if_empty()`, so pushes meanwhile queue without a wake (the consumer is looking).
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
  NAPIX_LOCAL static constexpr std::size_t kShrinkMinCapacity = 4096;
  NAPIX_LOCAL static constexpr std::size_t kShrinkRatio = 4;

  /// `max_queue` counts items from push until `release` (0 = unbounded). Thread: any.
  BatchQueue(std::size_t max_queue, WakeFunction wake);
  BatchQueue(const BatchQueue&) = delete;
  ~BatchQueue() {
    while (first_ != nullptr) {
      Block* b = first_;
      first_ = b->next;
      for (std::size_t i = b->head; i < b->tail; ++i) b->at(i)->~T();
      delete b;
    }
    free_blocks(spare_);
    free_blocks(returned_);
  }
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
  /// `stay_awake`: an emptied queue keeps its wake outstanding, and the consumer must call
  /// `sleep_if_empty()` (or `close()`) before it stops looking. Thread: the consumer only.
  DrainResult drain(std::vector<T>& batch, std::size_t max_items = 0, bool stay_awake = false);

  /// Changes on every push and on close: what a consumer that stayed awake watches (a relaxed
  /// snapshot; then take the lock through `drain` or `sleep_if_empty`). Thread: any.
  std::uint32_t events() const noexcept { return events_.load(std::memory_order_relaxed); }
  /// Ends a `stay_awake` drain: with nothing queued the next push wakes again (true); with items
  /// queued the wake stays outstanding and the consumer must drain them (false). Thread: consumer.
  bool sleep_if_empty();

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

  // Items live in a singly linked list of fixed-size blocks (about 16 KB each, below malloc's
  // mmap threshold): a push never copies earlier items, a backlog of any size grows by one block
  // at a time, and drained blocks are recycled (up to kSpareBlocks) so a steady stream reuses warm
  // memory instead of faulting in fresh pages.
  struct Block {
    NAPIX_LOCAL static constexpr std::size_t kBytes = 16384 - 4 * sizeof(void*);
    NAPIX_LOCAL static constexpr std::size_t kCap = sizeof(T) >= kBytes / 16 ? 16 : kBytes / sizeof(T);
    Block* next = nullptr;
    std::size_t head = 0, tail = 0;  // [head, tail) hold live items
    alignas(T) unsigned char raw[kCap * sizeof(T)];
    T* at(std::size_t i) noexcept { return std::launder(reinterpret_cast<T*>(raw) + i); }
  };
  NAPIX_LOCAL static constexpr std::size_t kSpareBlocks = 2;
  static std::unique_ptr<Block> new_block();  // without the lock; may throw bad_alloc
  Block* take_block(std::unique_ptr<Block>& fresh) noexcept;  // under the lock: a spare or fresh
  void recycle(Block* b, Block*& to_free) noexcept;  // under the lock
  static void free_blocks(Block* b) noexcept;

  mutable std::mutex mutex_;
  std::condition_variable not_full_;
  Block* first_ = nullptr;
  Block* last_ = nullptr;
  Block* spare_ = nullptr;
  std::size_t spares_ = 0;
  Block* returned_ = nullptr;  // consumer only: emptied by the last drain, recycled by the next
  std::vector<T> partial_;     // consumer only: see drain
  std::size_t blocks_ = 0;  // live + spare
  std::size_t count_ = 0;
  std::size_t outstanding_ = 0;
  std::size_t waiters_ = 0;  // counted so push/release skip notify syscalls when nobody waits
  const std::size_t max_queue_;
  bool wake_pending_ = false;  // invariant: !wake_pending_ implies the queue is empty
  bool closed_ = false;
  std::atomic<std::uint32_t> events_{0};  // written under mutex_, read anywhere (see events())
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
  // A new block is allocated, and its pages faulted in, with the lock released: under it, a
  // backlog growing into fresh memory kept the consumer waiting on the producer's page faults,
  // asleep in the kernel (2,800-6,800 such sleeps of the JS thread per 1M calls; doc/design.md).
  std::unique_ptr<Block> fresh;  // destroyed after the lock is released (declared before it)
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (closed_) return PushResult::closing;
    if (max_queue_ != 0 && outstanding_ >= max_queue_) {
      if (!block) return PushResult::queue_full;
      ++waiters_;
      not_full_.wait(lock, [this] { return closed_ || outstanding_ < max_queue_; });
      --waiters_;
      if (closed_) return PushResult::closing;
    }
    if ((last_ != nullptr && last_->tail != Block::kCap) || spare_ != nullptr || fresh) break;
    lock.unlock();
    fresh = new_block();  // a throw leaves the queue and the item as they were
    lock.lock();          // and check again: the queue may have closed, filled or gained a spare
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
  if (last_ == nullptr || last_->tail == Block::kCap) {
    Block* b = take_block(fresh);
    if (last_ != nullptr) last_->next = b; else first_ = b;
    last_ = b;
  }
  ::new (static_cast<void*>(last_->at(last_->tail))) T(std::move(item));
  ++last_->tail;
  ++count_;
  ++outstanding_;
  events_.store(events_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  if (fresh && spares_ < kSpareBlocks) {  // not needed after all (a spare came): keep it warm
    fresh->next = spare_;
    spare_ = fresh.release();
    ++spares_;
    ++blocks_;
  }
  return PushResult::ok;
}

template <class T>
std::unique_ptr<typename BatchQueue<T>::Block> BatchQueue<T>::new_block() {
  if (void (*hook)() = batch_queue_block_hook.load(std::memory_order_relaxed)) hook();
  std::unique_ptr<Block> b(new Block);
  std::memset(b->raw, 0, sizeof b->raw);  // fault its pages in here, not under the lock
  return b;
}

template <class T>
typename BatchQueue<T>::Block* BatchQueue<T>::take_block(std::unique_ptr<Block>& fresh) noexcept {
  if (spare_ != nullptr) {
    Block* b = spare_;
    spare_ = b->next;
    --spares_;
    b->next = nullptr;
    b->head = b->tail = 0;
    return b;
  }
  ++blocks_;
  return fresh.release();  // push_impl made sure there is one
}

template <class T>
void BatchQueue<T>::recycle(Block* b, Block*& to_free) noexcept {
  if (spares_ < kSpareBlocks) {
    b->next = spare_;
    spare_ = b;
    ++spares_;
  } else {
    b->next = to_free;
    to_free = b;
    --blocks_;
  }
}

template <class T>
void BatchQueue<T>::free_blocks(Block* b) noexcept {
  while (b != nullptr) {
    Block* next = b->next;
    delete b;
    b = next;
  }
}

template <class T>
DrainResult BatchQueue<T>::drain(std::vector<T>& batch, std::size_t max_items, bool stay_awake) {
  batch.clear();
  Block* mine = nullptr;     // whole blocks taken out under the lock, emptied after unlocking
  Block* to_free = nullptr;  // released after unlocking
  DrainResult result;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    while (returned_ != nullptr) {  // the blocks the previous drain emptied
      Block* b = returned_;
      returned_ = b->next;
      recycle(b, to_free);
    }
    std::size_t take = (max_items == 0 || count_ <= max_items) ? count_ : max_items;
    if (batch.capacity() > kShrinkMinCapacity && take < batch.capacity() / kShrinkRatio) {
      std::vector<T>().swap(batch);  // a burst's batch buffer is not kept (it is empty here)
    }
    if (batch.capacity() < take) batch.reserve(take);
    if (take == count_) {
      mine = first_;  // everything, the block producers write to included: they start a new one
      first_ = last_ = nullptr;
    } else {
      // Whole blocks from the front while they fit, never the one producers write to.
      std::size_t n = 0;
      Block** tail = &mine;
      while (first_ != last_ && n + (first_->tail - first_->head) <= take) {
        n += first_->tail - first_->head;
        *tail = first_;
        tail = &first_->next;
        first_ = first_->next;
      }
      *tail = nullptr;
      // The rest (less than a block) is moved out here, under the lock, from the next block:
      // straight into `batch` when no whole block was taken, else into `partial_`, appended
      // after the detached blocks' items once unlocked (queue order).
      std::vector<T>& dst = n == 0 ? batch : partial_;
      if (dst.capacity() < take - n) dst.reserve(take - n);
      Block* b = first_;
      for (std::size_t i = b->head; i < b->head + (take - n); ++i) {
        dst.push_back(std::move(*b->at(i)));  // reserved: cannot throw
        b->at(i)->~T();
      }
      b->head += take - n;
    }
    count_ -= take;
    result.taken = take;
    result.more = count_ != 0;
    if (!result.more && !stay_awake) wake_pending_ = false;
  }
  free_blocks(to_free);
  while (mine != nullptr) {
    Block* b = mine;
    mine = b->next;
    for (std::size_t i = b->head; i < b->tail; ++i) {
      batch.push_back(std::move(*b->at(i)));  // reserved: cannot throw
      b->at(i)->~T();
    }
    b->head = b->tail = 0;
    b->next = returned_;
    returned_ = b;
  }
  for (T& item : partial_) batch.push_back(std::move(item));
  partial_.clear();
  return result;
}

template <class T>
bool BatchQueue<T>::sleep_if_empty() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (count_ != 0) return false;
  wake_pending_ = false;
  return true;
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
  Block* to_free = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    close_locked();
    rest.reserve(count_);
    while (first_ != nullptr) {
      Block* b = first_;
      first_ = b->next;
      for (std::size_t i = b->head; i < b->tail; ++i) {
        rest.push_back(std::move(*b->at(i)));
        b->at(i)->~T();
      }
      b->next = to_free;
      to_free = b;
    }
    last_ = nullptr;
    Block* s = spare_;
    spare_ = nullptr;
    spares_ = 0;
    blocks_ = 0;
    count_ = 0;
    outstanding_ -= std::min(rest.size(), outstanding_);
    while (s != nullptr) {
      Block* n = s->next;
      s->next = to_free;
      to_free = s;
      s = n;
    }
  }
  free_blocks(to_free);
  return rest;
}

template <class T>
void BatchQueue<T>::close_locked() {
  if (closed_) return;
  closed_ = true;
  events_.store(events_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  // All of them: Node's tsfn wakes one blocked producer at teardown and the rest hang
  // (doc/design.md, behaviour 1).
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
  return count_;
}

template <class T>
std::size_t BatchQueue<T>::outstanding() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return outstanding_;
}

template <class T>
std::size_t BatchQueue<T>::capacity() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return blocks_ * Block::kCap;
}

template <class T>
std::size_t BatchQueue<T>::blocked_producers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return waiters_;
}

}  // namespace detail
}  // namespace napix
