// napix/detail/ring_queue.h — a FIFO in one circular array that grows by doubling: once it has
// grown to the backlog, pushes and pops allocate and free nothing.
//
// Why (doc/design.md, "The task queue allocates on one thread only"): the task pool's queue is
// pushed on the JS thread and popped on pool threads. A std::deque frees a node every few pops,
// on the popping thread, into the JS thread's malloc arena; glibc then takes that arena's lock,
// and when the JS thread holds it the pool thread blocks and the JS thread's unlock has to wake
// it — a futex syscall on the JS thread, thousands per million tasks.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

#include "visibility.h"

namespace napix {
namespace detail {

/// FIFO of T (default-constructible, nothrow move-assignable: a popped slot is reset to T()).
/// Not thread-safe: the owner locks.
template <class T>
class RingQueue {
  static_assert(std::is_default_constructible_v<T> && std::is_nothrow_move_assignable_v<T>,
                "napix::detail::RingQueue: T must be default-constructible and nothrow "
                "move-assignable");

 public:
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  /// Slots allocated (a power of two, or 0).
  std::size_t capacity() const noexcept { return slots_.size(); }

  T& front() noexcept { return slots_[head_]; }

  void push_back(T value) {
    if (size_ == slots_.size()) grow();
    slots_[(head_ + size_) & (slots_.size() - 1)] = std::move(value);
    ++size_;
  }

  /// Destroys the first value (its slot holds a T() until reused).
  void pop_front() noexcept {
    slots_[head_] = T();
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
  }

  /// Destroys every value and frees the slots.
  void clear() noexcept {
    std::vector<T>().swap(slots_);
    head_ = 0;
    size_ = 0;
  }

  void swap(RingQueue& other) noexcept {
    slots_.swap(other.slots_);
    std::swap(head_, other.head_);
    std::swap(size_, other.size_);
  }

 private:
  void grow() {
    std::vector<T> bigger(slots_.empty() ? kFirst : 2 * slots_.size());
    for (std::size_t i = 0; i < size_; ++i) {
      bigger[i] = std::move(slots_[(head_ + i) & (slots_.size() - 1)]);
    }
    slots_.swap(bigger);
    head_ = 0;
  }

  NAPIX_LOCAL static constexpr std::size_t kFirst = 16;
  std::vector<T> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace detail
}  // namespace napix
