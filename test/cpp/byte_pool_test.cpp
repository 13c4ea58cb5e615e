// Tests of napix/detail/byte_pool.h: exact-size reuse, newest first, the minimum block size, the
// capacity (oldest blocks freed first) and many threads giving and taking at once (run under
// ThreadSanitizer and AddressSanitizer, which also catch a block handed out twice or lost).
#include <napix/detail/byte_pool.h>

#include <cstdlib>
#include <thread>
#include <vector>

#include "catch.h"

using napix::detail::BytePool;

namespace {
void* block(std::size_t size) { return std::malloc(size); }
}  // namespace

TEST_CASE("BytePool: a block given back is taken by the next request of exactly its size", "[byte_pool]") {
  BytePool pool;
  const std::size_t size = BytePool::kMinBlock * 2;
  void* a = block(size);
  pool.give(a, size);
  CHECK(pool.stats().held == size);
  CHECK(pool.take(size + 1) == nullptr);
  CHECK(pool.take(size - 1) == nullptr);
  CHECK(pool.take(size) == a);
  CHECK(pool.take(size) == nullptr);
  CHECK(pool.stats().hits == 1);
  CHECK(pool.stats().misses == 3);
  CHECK(pool.stats().held == 0);
  std::free(a);
}

TEST_CASE("BytePool: the newest block of a size is taken first", "[byte_pool]") {
  BytePool pool;
  const std::size_t size = BytePool::kMinBlock;
  void* a = block(size);
  void* b = block(size);
  pool.give(a, size);
  pool.give(b, size);
  CHECK(pool.take(size) == b);
  CHECK(pool.take(size) == a);
  std::free(a);
  std::free(b);
}

TEST_CASE("BytePool: blocks below the minimum or above the capacity are freed, not cached", "[byte_pool]") {
  BytePool pool;
  pool.give(block(BytePool::kMinBlock - 1), BytePool::kMinBlock - 1);
  pool.give(block(BytePool::kCapacity + 1), BytePool::kCapacity + 1);
  pool.give(nullptr, BytePool::kMinBlock);
  CHECK(pool.stats().held == 0);
  CHECK(pool.take(BytePool::kMinBlock - 1) == nullptr);
}

TEST_CASE("BytePool: past the capacity the oldest blocks are freed", "[byte_pool]") {
  BytePool pool;
  const std::size_t size = BytePool::kCapacity / 4;
  std::vector<void*> blocks;
  for (int i = 0; i < 6; ++i) {
    blocks.push_back(block(size));
    pool.give(blocks.back(), size);
    CHECK(pool.stats().held <= BytePool::kCapacity);
  }
  CHECK(pool.stats().held == BytePool::kCapacity);
  // The four newest remain (the two oldest were freed: ASan would flag touching them).
  for (int i = 5; i >= 2; --i) CHECK(pool.take(size) == blocks[static_cast<std::size_t>(i)]);
  CHECK(pool.take(size) == nullptr);
  for (int i = 2; i < 6; ++i) std::free(blocks[static_cast<std::size_t>(i)]);
}

TEST_CASE("BytePool: 4 threads giving and taking: every block is handed out once", "[byte_pool]") {
  BytePool pool;
  const std::size_t size = BytePool::kMinBlock;
  constexpr int kThreads = 4, kRounds = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&pool, size] {
      for (int i = 0; i < kRounds; ++i) {
        void* p = pool.take(size);
        if (p == nullptr) p = std::malloc(size);
        // Owning the block: write all of it (a block handed out twice is a TSan race).
        static_cast<unsigned char*>(p)[0] = 1;
        static_cast<unsigned char*>(p)[size - 1] = 1;
        pool.give(p, size);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const BytePool::Stats st = pool.stats();
  CHECK(st.hits + st.misses == std::size_t{kThreads} * kRounds);
  CHECK(st.held <= std::size_t{kThreads} * size);
  pool.clear();
  CHECK(pool.stats().held == 0);
}
