// Tests of napix/detail/ring_queue.h: FIFO order across wrap-around and growth, and no memory
// traffic once the queue has grown to its backlog (what the task pool relies on: a pop on a pool
// thread must not free memory the JS thread allocated).
#include <napix/detail/ring_queue.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "catch.h"

namespace {

using napix::detail::RingQueue;

std::vector<int> drain(RingQueue<std::shared_ptr<int>>& q) {
  std::vector<int> out;
  while (!q.empty()) {
    out.push_back(*q.front());
    q.pop_front();
  }
  return out;
}

}  // namespace

TEST_CASE("RingQueue: first in, first out across wrap-around and growth", "[ring_queue]") {
  RingQueue<std::shared_ptr<int>> q;
  REQUIRE(q.empty());
  REQUIRE(q.capacity() == 0u);
  int next = 0;
  std::vector<int> want;
  for (int i = 0; i < 10; ++i) q.push_back(std::make_shared<int>(next++));
  for (int i = 0; i < 7; ++i) {
    REQUIRE(*q.front() == i);
    q.pop_front();
  }
  for (int i = 7; i < 10; ++i) want.push_back(i);
  // The head is mid-array: these wrap, and the 14th forces growth with the values split.
  for (int i = 0; i < 30; ++i) {
    want.push_back(next);
    q.push_back(std::make_shared<int>(next++));
  }
  REQUIRE(q.size() == 33u);
  REQUIRE(q.capacity() == 64u);
  REQUIRE(drain(q) == want);
}

TEST_CASE("RingQueue: once grown to the backlog, pushes and pops use the same slots", "[ring_queue]") {
  RingQueue<std::shared_ptr<int>> q;
  for (int i = 0; i < 12; ++i) q.push_back(std::make_shared<int>(i));
  const std::size_t capacity = q.capacity();
  const auto* lowest = &q.front();
  const auto* highest = lowest;
  int expect = 0;
  for (int round = 0; round < 10000; ++round) {
    q.push_back(std::make_shared<int>(12 + round));
    const auto* at = &q.front();
    if (at < lowest) lowest = at;
    if (at > highest) highest = at;
    REQUIRE(*q.front() == expect++);
    q.pop_front();
  }
  // No reallocation: the same array, every slot of it visited as the head went round.
  CHECK(q.capacity() == capacity);
  CHECK(static_cast<std::size_t>(highest - lowest) == capacity - 1);
}

TEST_CASE("RingQueue: pop_front destroys the value at once", "[ring_queue]") {
  RingQueue<std::shared_ptr<int>> q;
  auto value = std::make_shared<int>(1);
  q.push_back(value);
  REQUIRE(value.use_count() == 2);
  q.pop_front();
  REQUIRE(value.use_count() == 1);
}

TEST_CASE("RingQueue: a drained queue keeps its slots until swapped out or cleared",
          "[ring_queue]") {
  RingQueue<std::shared_ptr<int>> q;
  for (int i = 0; i < 100; ++i) q.push_back(std::make_shared<int>(i));
  REQUIRE(q.capacity() == 128u);
  drain(q);
  REQUIRE(q.capacity() == 128u);  // kept: the next burst reuses them
  RingQueue<std::shared_ptr<int>> drained;  // how the task pool lets a burst's slots go
  drained.swap(q);
  REQUIRE(q.capacity() == 0u);
  REQUIRE(drained.capacity() == 128u);
  q.push_back(std::make_shared<int>(5));  // usable again
  REQUIRE(*q.front() == 5);

  RingQueue<std::shared_ptr<int>> other;
  auto held = std::make_shared<int>(9);
  other.push_back(held);
  q.swap(other);
  REQUIRE(*q.front() == 9);
  REQUIRE(*other.front() == 5);
  q.clear();
  REQUIRE(q.empty());
  REQUIRE(q.capacity() == 0u);
  REQUIRE(held.use_count() == 1);
}
