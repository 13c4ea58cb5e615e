// napix/detail/byte_pool.h — a small process-wide cache of large Bytes blocks. A Bytes handed to
// JS is freed by the garbage collector, often many at once and long after it was filled; a
// producer filling the next Bytes meanwhile gets fresh memory from malloc, and every page of it
// faults on first touch (doc/persistent.md, "Warm memory for the next chunk"). The cache gives the memory a finalizer
// (or a Bytes destroyed on any thread) let go of to the next Bytes of the same size, warm.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <utility>

#include "visibility.h"

namespace napix {
namespace detail {

class BytePool {
 public:
  /// Blocks smaller than this go straight back to free(): malloc's own caches serve them well.
  NAPIX_LOCAL static constexpr std::size_t kMinBlock = std::size_t{64} << 10;
  /// At most this many bytes wait in the cache; beyond it the oldest blocks are freed.
  NAPIX_LOCAL static constexpr std::size_t kCapacity = std::size_t{64} << 20;

  /// A cached block of exactly `size` bytes (contents unspecified), or null. Thread: any.
  void* take(std::size_t size) noexcept {
    if (size < kMinBlock) return nullptr;
    std::lock_guard<std::mutex> lock(mutex_);
    // Newest first: the most recently used memory is the warmest.
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
      if (it->size == size) {
        void* p = it->data;
        blocks_.erase(std::next(it).base());
        held_ -= size;
        ++hits_;
        return p;
      }
    }
    ++misses_;
    return nullptr;
  }

  /// Takes a block from malloc/calloc back: cached when large enough, else (or when it alone
  /// exceeds the capacity) freed. Thread: any.
  void give(void* data, std::size_t size) noexcept {
    if (data == nullptr) return;
    if (size < kMinBlock || size > kCapacity) {
      std::free(data);
      return;
    }
    std::deque<Block> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (held_ + size > kCapacity) {
        evicted.push_back(blocks_.front());
        held_ -= blocks_.front().size;
        blocks_.pop_front();
      }
      blocks_.push_back(Block{data, size});
      held_ += size;
    }
    for (const Block& b : evicted) std::free(b.data);  // outside the lock: munmap can be slow
  }

  /// For tests and the benchmark: takes served from the cache, takes that missed, bytes held.
  struct Stats {
    std::size_t hits, misses, held;
  };
  Stats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {hits_, misses_, held_};
  }
  /// Frees every cached block (tests). Thread: any.
  void clear() noexcept {
    std::deque<Block> all;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      all.swap(blocks_);
      held_ = 0;
    }
    for (const Block& b : all) std::free(b.data);
  }

 private:
  struct Block {
    void* data;
    std::size_t size;
  };
  std::mutex mutex_;
  std::deque<Block> blocks_;  // oldest at the front
  std::size_t held_ = 0;
  std::size_t hits_ = 0;
  std::size_t misses_ = 0;
};

/// The process's pool. Never destroyed: Buffer finalizers may run during exit, after static
/// destructors; the blocks it holds stay reachable from here (no leak report).
NAPIX_LOCAL inline BytePool& byte_pool() noexcept {
  static BytePool* pool = new BytePool();
  return *pool;
}

}  // namespace detail
}  // namespace napix
