// Tests of napix/detail/batch_queue.h. Threads synchronise on the queue's own counters
// (blocked_producers) and on a Doorbell that plays the tsfn: no sleeps, exact counts. Assertions
// run on the test thread only (Catch2 v2 is not thread-safe); worker threads count failures.
#include <napix/detail/batch_queue.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "catch.h"

namespace {

using napix::detail::BatchQueue;
using napix::detail::DrainResult;
using napix::detail::PushResult;

// A queued item that counts its own destruction: `owner` is non-null while this instance is the
// live copy, so "destroyed exactly once" is `destroyed == created`.
struct Item {
  int producer = 0;
  int seq = 0;
  std::atomic<int>* owner = nullptr;

  Item() = default;
  Item(int p, int s, std::atomic<int>* destroyed) : producer(p), seq(s), owner(destroyed) {}
  Item(Item&& other) noexcept : producer(other.producer), seq(other.seq), owner(other.owner) {
    other.owner = nullptr;
  }
  Item& operator=(Item&& other) noexcept {
    if (this != &other) {
      drop();
      producer = other.producer;
      seq = other.seq;
      owner = other.owner;
      other.owner = nullptr;
    }
    return *this;
  }
  ~Item() { drop(); }
  void drop() {
    if (owner) owner->fetch_add(1, std::memory_order_relaxed);
    owner = nullptr;
  }
};

// Plays napi_call_threadsafe_function: each ring is one scheduled consumer run. It also checks
// the queue's promise: a ring never comes while the previous one is still unconsumed.
class Doorbell {
 public:
  bool ring() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (rings_ != consumed_) ++overlapping_;
    ++rings_;
    cv_.notify_one();
    return true;
  }
  // Consumer: takes the next ring; false once stopped with none left.
  bool wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return rings_ != consumed_ || stopped_; });
    if (rings_ == consumed_) return false;
    ++consumed_;
    return true;
  }
  void stop() {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    cv_.notify_one();
  }
  std::size_t rings() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return rings_;
  }
  std::size_t unconsumed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return rings_ - consumed_;
  }
  std::size_t overlapping() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return overlapping_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::size_t rings_ = 0, consumed_ = 0, overlapping_ = 0;
  bool stopped_ = false;
};

// An unbounded queue of ints whose wake only counts (tests of the wake protocol).
struct WakeCounting {
  int wakes = 0;
  BatchQueue<int> queue{0, [this] { return ++wakes > 0; }};
  std::vector<int> batch;
  int v = 0;
};

// Waits (yielding, not sleeping for a guessed time) until `done()` holds.
template <class F>
void await(F done) {
  while (!done()) std::this_thread::yield();
}

}  // namespace

TEST_CASE("BatchQueue: N producers x M items arrive exactly once in per-producer order",
          "[batch_queue]") {
  const std::size_t max_queue = GENERATE(std::size_t{0}, std::size_t{1}, std::size_t{64});
  const std::size_t max_items = GENERATE(std::size_t{0}, std::size_t{7}, std::size_t{1024});
  constexpr int kProducers = 4;
  constexpr int kItems = 5000;
  CAPTURE(max_queue, max_items);

  std::atomic<int> destroyed{0};
  Doorbell bell;
  BatchQueue<Item> queue(max_queue, [&bell] { return bell.ring(); });

  std::atomic<int> push_failures{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kItems; ++i) {
        Item item(p, i, &destroyed);
        if (queue.push(item) != PushResult::ok || item.owner != nullptr) ++push_failures;
      }
    });
  }

  // The consumer: one drain per ring, plus one per `more` it schedules itself.
  int received = 0, order_errors = 0, empty_drains = 0;
  std::size_t drains = 0;
  int next_seq[kProducers] = {};
  std::vector<Item> batch;
  bool rescheduled = false;
  while (received < kProducers * kItems) {
    if (!rescheduled) REQUIRE(bell.wait());
    DrainResult r = queue.drain(batch, max_items);
    ++drains;
    if (r.taken == 0) ++empty_drains;
    REQUIRE(r.taken == batch.size());
    if (max_items != 0) REQUIRE(r.taken <= max_items);
    for (const Item& item : batch) {
      if (item.seq != next_seq[item.producer]++) ++order_errors;
      ++received;
    }
    batch.clear();
    queue.release(r.taken);
    rescheduled = r.more;
  }
  for (auto& t : producers) t.join();

  REQUIRE(push_failures == 0);
  REQUIRE(order_errors == 0);
  REQUIRE(empty_drains == 0);  // every ring found work: no spurious wakeups
  REQUIRE(bell.overlapping() == 0);
  REQUIRE(bell.unconsumed() == 0);  // no ring left behind: nothing stranded
  REQUIRE_FALSE(rescheduled);
  for (int n : next_seq) REQUIRE(n == kItems);
  REQUIRE(queue.size() == 0);
  REQUIRE(queue.outstanding() == 0);
  REQUIRE(destroyed == kProducers * kItems);
  REQUIRE(drains >= bell.rings());
}

TEST_CASE_METHOD(WakeCounting, "BatchQueue: wake is called exactly once per empty-to-non-empty transition",
                 "[batch_queue]") {
  for (int i = 0; i < 3; ++i) REQUIRE(queue.push(v) == PushResult::ok);
  REQUIRE(wakes == 1);

  DrainResult r = queue.drain(batch);
  REQUIRE((r.taken == 3 && !r.more));
  REQUIRE(queue.push(v) == PushResult::ok);  // first push after a drain wakes again
  REQUIRE(wakes == 2);
  REQUIRE(queue.try_push(v) == PushResult::ok);
  REQUIRE(queue.push(v) == PushResult::ok);
  REQUIRE(wakes == 2);

  r = queue.drain(batch, 1);  // leaves two: the wake stays outstanding
  REQUIRE((r.taken == 1 && r.more));
  REQUIRE(queue.push(v) == PushResult::ok);
  REQUIRE(wakes == 2);
  r = queue.drain(batch, 0);
  REQUIRE((r.taken == 3 && !r.more));
  r = queue.drain(batch);  // a drain with nothing queued changes nothing
  REQUIRE((r.taken == 0 && !r.more && batch.empty()));
  REQUIRE(queue.push(v) == PushResult::ok);
  REQUIRE(wakes == 3);
}

TEST_CASE_METHOD(WakeCounting,
                 "BatchQueue: a consumer that stays awake takes pushes without a wake until sleep_if_empty",
                 "[batch_queue]") {
  REQUIRE(queue.push(v) == PushResult::ok);
  REQUIRE(wakes == 1);
  DrainResult r = queue.drain(batch, 0, /*stay_awake=*/true);
  REQUIRE((r.taken == 1 && !r.more));
  const std::uint32_t seen = queue.events();
  REQUIRE(queue.push(v) == PushResult::ok);  // the consumer is looking: no wake
  REQUIRE(queue.push(v) == PushResult::ok);
  REQUIRE(wakes == 1);
  REQUIRE(queue.events() != seen);           // what a lingering consumer watches
  REQUIRE_FALSE(queue.sleep_if_empty());     // items came: the wake stays outstanding
  r = queue.drain(batch, 0, true);
  REQUIRE((r.taken == 2 && !r.more));
  REQUIRE(queue.sleep_if_empty());           // nothing came: asleep
  REQUIRE(queue.push(v) == PushResult::ok);  // so the next push wakes again
  REQUIRE(wakes == 2);
  r = queue.drain(batch);                    // a plain drain still ends the wake at once
  REQUIRE(queue.push(v) == PushResult::ok);
  REQUIRE(wakes == 3);
  const std::uint32_t before_close = queue.events();
  (void)queue.close();
  REQUIRE(queue.events() != before_close);   // close ends a linger too
}

TEST_CASE("BatchQueue: a lingering consumer against N producers loses, duplicates and over-wakes nothing",
          "[batch_queue]") {
  constexpr int kProducers = 4;
  constexpr int kItems = 20000;
  std::atomic<int> destroyed{0};
  Doorbell bell;
  BatchQueue<Item> queue(0, [&bell] { return bell.ring(); });
  std::atomic<int> push_failures{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kItems; ++i) {
        Item item(p, i, &destroyed);
        if (queue.push(item) != PushResult::ok) ++push_failures;
        if (i % 64 == 0) std::this_thread::yield();  // gaps, so lingers both hit and run out
      }
    });
  }
  // The consumer: per ring, drain staying awake, watch events() for a bounded number of polls,
  // then sleep_if_empty — drain again if items came, else wait for the next ring.
  int received = 0, order_errors = 0, hits = 0, misses = 0;
  int next_seq[kProducers] = {};
  std::vector<Item> batch;
  while (received < kProducers * kItems) {
    REQUIRE(bell.wait());
    for (;;) {
      DrainResult r = queue.drain(batch, 0, /*stay_awake=*/true);
      const std::uint32_t seen = queue.events();
      for (const Item& item : batch) {
        if (item.seq != next_seq[item.producer]++) ++order_errors;
        ++received;
      }
      batch.clear();
      queue.release(r.taken);
      int polls = 0;
      while (queue.events() == seen && ++polls < 200) std::this_thread::yield();
      (queue.events() != seen ? hits : misses) += 1;
      if (queue.sleep_if_empty()) break;
    }
  }
  for (auto& t : producers) t.join();
  REQUIRE(push_failures == 0);
  REQUIRE(order_errors == 0);
  for (int n : next_seq) REQUIRE(n == kItems);
  REQUIRE(bell.overlapping() == 0);  // no push woke a consumer that was still awake
  REQUIRE(bell.unconsumed() == 0);   // and none is left behind: nothing stranded
  REQUIRE(queue.size() == 0);
  REQUIRE(destroyed == kProducers * kItems);
  REQUIRE(hits + misses > 0);
}

TEST_CASE_METHOD(WakeCounting, "BatchQueue: drain with max_items takes a prefix in order and signals more",
                 "[batch_queue]") {
  for (int i = 0; i < 10000; ++i) REQUIRE(queue.push(i) == PushResult::ok);
  int next = 0;
  for (int round = 0; round < 10; ++round) {
    DrainResult r = queue.drain(batch, 999);
    REQUIRE(r.taken == 999);
    REQUIRE(r.more);
    for (int x : batch) REQUIRE(x == next++);
    // Pushes in between join the tail and keep order (the wake is still outstanding).
    int extra = 10000 + round;
    REQUIRE(queue.push(extra) == PushResult::ok);
  }
  DrainResult r = queue.drain(batch, 999);
  REQUIRE(r.taken == 10000 + 10 - 9990);
  REQUIRE_FALSE(r.more);
  for (int x : batch) REQUIRE(x == next++);
  REQUIRE(next == 10010);
  REQUIRE(wakes == 1);
}

TEST_CASE("BatchQueue: a bounded queue counts items until release", "[batch_queue]") {
  std::atomic<int> destroyed{0};
  BatchQueue<Item> queue(2, [] { return true; });
  Item a(0, 0, &destroyed), b(0, 1, &destroyed), c(0, 2, &destroyed);
  REQUIRE(queue.try_push(a) == PushResult::ok);
  REQUIRE(queue.push(b) == PushResult::ok);
  REQUIRE(queue.try_push(c) == PushResult::queue_full);
  REQUIRE(c.owner != nullptr);  // rejected: still the caller's, unchanged
  REQUIRE(c.seq == 2);

  std::vector<Item> batch;
  REQUIRE(queue.drain(batch).taken == 2);
  REQUIRE(queue.try_push(c) == PushResult::queue_full);  // drained is not finished
  REQUIRE(queue.outstanding() == 2);

  SECTION("try_push succeeds after release") {
    queue.release(1);
    REQUIRE(queue.try_push(c) == PushResult::ok);
    REQUIRE(c.owner == nullptr);
  }
  SECTION("push blocks until release") {
    PushResult result = PushResult::queue_full;
    std::thread producer([&] { result = queue.push(c); });
    await([&] { return queue.blocked_producers() == 1; });
    queue.release(1);
    producer.join();
    REQUIRE(result == PushResult::ok);
    REQUIRE(queue.blocked_producers() == 0);
    REQUIRE(queue.outstanding() == 2);
    REQUIRE(queue.size() == 1);
  }
  batch.clear();
  REQUIRE(queue.close().size() == 1);
  REQUIRE(destroyed == 3);
}

TEST_CASE("BatchQueue: close wakes every blocked producer and returns undrained items",
          "[batch_queue]") {
  // Node's tsfn wakes one of these three at teardown and the other two hang (doc/design.md,
  // behaviour 1).
  constexpr int kBlocked = 3;
  std::atomic<int> destroyed{0};
  int wakes = 0;
  {
    BatchQueue<Item> queue(1, [&wakes] { return ++wakes > 0; });
    Item first(9, 0, &destroyed);
    REQUIRE(queue.push(first) == PushResult::ok);

    PushResult results[kBlocked];
    bool kept[kBlocked] = {};
    std::vector<std::thread> producers;
    for (int p = 0; p < kBlocked; ++p) {
      producers.emplace_back([&, p] {
        Item item(p, 0, &destroyed);
        results[p] = queue.push(item);
        kept[p] = item.owner != nullptr;
      });
    }
    await([&] { return queue.blocked_producers() == kBlocked; });
    std::vector<Item> rest = queue.close();
    for (auto& t : producers) t.join();

    for (int p = 0; p < kBlocked; ++p) {
      REQUIRE(results[p] == PushResult::closing);
      REQUIRE(kept[p]);
    }
    REQUIRE(destroyed == kBlocked);  // the rejected items, destroyed by their producers
    REQUIRE(rest.size() == 1);
    REQUIRE(rest[0].producer == 9);
    REQUIRE(queue.closed());
    REQUIRE(queue.outstanding() == 0);
  }
  REQUIRE(destroyed == kBlocked + 1);
  REQUIRE(wakes == 1);
}

TEST_CASE("BatchQueue: after close nothing is accepted or woken or lost", "[batch_queue]") {
  std::atomic<int> destroyed{0};
  int wakes = 0;
  BatchQueue<Item> queue(0, [&wakes] { return ++wakes > 0; });
  for (int i = 0; i < 10; ++i) {
    Item item(0, i, &destroyed);
    REQUIRE(queue.push(item) == PushResult::ok);
  }
  std::vector<Item> batch;
  REQUIRE(queue.drain(batch, 4).more);
  std::vector<Item> rest = queue.close();
  REQUIRE(rest.size() == 6);
  for (std::size_t i = 0; i < rest.size(); ++i) REQUIRE(rest[i].seq == static_cast<int>(i) + 4);
  REQUIRE(queue.outstanding() == 4);  // drained but not yet released
  queue.release(4);
  REQUIRE(queue.outstanding() == 0);

  Item late(0, 10, &destroyed);
  REQUIRE(queue.push(late) == PushResult::closing);
  REQUIRE(queue.try_push(late) == PushResult::closing);
  REQUIRE(late.owner != nullptr);
  REQUIRE(wakes == 1);
  DrainResult r = queue.drain(batch);  // destroys the previous batch (4) first
  REQUIRE((r.taken == 0 && !r.more));
  REQUIRE(queue.close().empty());
  REQUIRE(destroyed == 4);
  rest.clear();
  REQUIRE(destroyed == 10);
}

TEST_CASE("BatchQueue: wake returning false closes the queue", "[batch_queue]") {
  std::atomic<int> destroyed{0};
  SECTION("the pushing item is kept and later pushes do not wake") {
    int wakes = 0;
    BatchQueue<Item> queue(0, [&wakes] {
      ++wakes;
      return false;
    });
    Item item(0, 0, &destroyed);
    REQUIRE(queue.push(item) == PushResult::closing);
    REQUIRE(item.owner != nullptr);
    REQUIRE(queue.closed());
    REQUIRE(queue.try_push(item) == PushResult::closing);
    REQUIRE(wakes == 1);
    REQUIRE(queue.close().empty());
  }
  SECTION("the producers still blocked are woken with closing") {
    std::atomic<bool> target_alive{true};
    BatchQueue<Item> queue(1, [&target_alive] { return target_alive.load(); });
    Item first(0, 0, &destroyed);
    REQUIRE(queue.push(first) == PushResult::ok);
    std::vector<Item> batch;
    REQUIRE(queue.drain(batch).taken == 1);  // the next push must wake; the slot is still taken
    target_alive = false;

    PushResult results[3];
    std::vector<std::thread> producers;
    for (int p = 0; p < 3; ++p) {
      producers.emplace_back([&, p] {
        Item item(p + 1, 0, &destroyed);
        results[p] = queue.push(item);
      });
    }
    await([&] { return queue.blocked_producers() == 3; });
    queue.release(1);  // one producer gets the slot, its wake fails, and that closes for all
    for (auto& t : producers) t.join();
    for (PushResult r : results) REQUIRE(r == PushResult::closing);
    REQUIRE(queue.closed());
    batch.clear();
    REQUIRE(destroyed == 4);
  }
}

TEST_CASE("BatchQueue: steady state reuses its memory and a burst's memory is given back",
          "[batch_queue]") {
  BatchQueue<int> queue(0, [] { return true; });
  std::vector<int> batch;
  auto fill = [&queue](int n) {
    for (int i = 0; i < n; ++i) REQUIRE(queue.push(i) == PushResult::ok);
  };

  SECTION("steady state: the batch buffer and the queue's blocks are reused") {
    for (int warm = 0; warm < 2; ++warm) {  // one block fills while the last one drained waits
      fill(100);
      queue.drain(batch);
    }
    const int* data = batch.data();
    const std::size_t capacity = queue.capacity();
    for (int round = 0; round < 10; ++round) {
      fill(100);
      queue.drain(batch);
      REQUIRE(batch.data() == data);
      REQUIRE(batch.size() == 100);
      REQUIRE(queue.capacity() == capacity);
    }
  }
  SECTION("after a burst, blocks beyond the spares and a mostly unused batch buffer are freed") {
    fill(10);
    const std::size_t one_block = queue.capacity();
    queue.drain(batch);
    fill(100000);
    REQUIRE(queue.capacity() > 10 * one_block);
    queue.drain(batch);
    REQUIRE(batch.capacity() >= 100000);
    fill(10);
    queue.drain(batch);  // the burst's blocks are recycled (two kept as spares) or freed
    REQUIRE(queue.capacity() <= 3 * one_block);
    REQUIRE(batch.capacity() < BatchQueue<int>::kShrinkMinCapacity);
    REQUIRE(batch.size() == 10);
  }
  SECTION("a big batch buffer still used over a quarter is kept") {
    fill(10000);
    queue.drain(batch);
    fill(5000);
    queue.drain(batch);
    REQUIRE(batch.capacity() >= 10000);
    REQUIRE(batch.size() == 5000);
  }
}

// The block hook runs where a push allocates a block. It starts a thread that does something
// taking the queue's lock (`g_probe`) and waits up to 10 s for it: a push that held the lock
// while allocating would keep it waiting (counted in g_probe_blocked; the push then goes on, and
// HookScope::join() lets the probe finish before the test checks anything).
std::function<void()> g_probe;
std::thread g_probe_thread;
std::mutex g_probe_mutex;
std::condition_variable g_probe_cv;
bool g_probe_done = false;
int g_allocations = 0;
int g_probe_blocked = 0;
void probe_hook() {
  ++g_allocations;
  g_probe_done = false;
  g_probe_thread = std::thread([] {
    g_probe();
    std::lock_guard<std::mutex> lock(g_probe_mutex);
    g_probe_done = true;
    g_probe_cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(g_probe_mutex);
  if (!g_probe_cv.wait_for(lock, std::chrono::seconds(10), [] { return g_probe_done; })) ++g_probe_blocked;
}
struct HookScope {
  explicit HookScope(std::function<void()> probe) {
    g_probe = std::move(probe);
    g_allocations = g_probe_blocked = 0;
    napix::detail::batch_queue_block_hook.store(&probe_hook);
  }
  void join() {
    if (g_probe_thread.joinable()) g_probe_thread.join();
  }
  ~HookScope() {
    napix::detail::batch_queue_block_hook.store(nullptr);
    join();
  }
};

TEST_CASE("BatchQueue: a push allocates a new block without holding the queue's lock",
          "[batch_queue]") {
  std::atomic<int> destroyed{0};
  BatchQueue<Item> queue(0, [] { return true; });
  std::vector<Item> batch;

  SECTION("the consumer drains while a producer allocates") {
    std::size_t drained = 0;
    HookScope scope([&] { drained += queue.drain(batch).taken; });
    int pushed = 0;
    Item first(0, pushed++, &destroyed);
    REQUIRE(queue.push(first) == PushResult::ok);  // the first block: one allocation
    scope.join();
    REQUIRE(g_allocations == 1);
    // Fill the block; the next push needs another block (the drained one is recycled only by
    // the next drain), and the consumer drains the full block meanwhile.
    while (queue.size() < queue.capacity()) {
      Item it(0, pushed++, &destroyed);
      REQUIRE(queue.push(it) == PushResult::ok);
    }
    REQUIRE(g_allocations == 1);
    Item next(0, pushed++, &destroyed);
    REQUIRE(queue.push(next) == PushResult::ok);
    scope.join();
    REQUIRE(g_allocations == 2);
    REQUIRE(g_probe_blocked == 0);
    REQUIRE(drained == static_cast<std::size_t>(pushed - 1));  // all but `next`
    REQUIRE(queue.drain(batch).taken == 1);
    REQUIRE(batch[0].seq == pushed - 1);
  }
  SECTION("a close while a push allocates: the push answers closing and keeps its item") {
    std::vector<Item> rest;
    HookScope scope([&] { rest = queue.close(); });
    Item it(7, 1, &destroyed);
    const PushResult r = queue.push(it);
    scope.join();
    REQUIRE(g_probe_blocked == 0);
    REQUIRE(r == PushResult::closing);
    REQUIRE(it.owner == &destroyed);  // still the caller's
    REQUIRE(rest.empty());
  }
  SECTION("a bounded queue that filled while a push allocated: try_push answers queue_full") {
    BatchQueue<Item> bounded(1, [] { return true; });
    HookScope scope([&] {
      napix::detail::batch_queue_block_hook.store(nullptr);  // the probe's own push allocates
      Item other(1, 0, &destroyed);
      bounded.push(other);
    });
    Item it(0, 0, &destroyed);
    const PushResult r = bounded.try_push(it);
    scope.join();
    REQUIRE(g_probe_blocked == 0);
    REQUIRE(r == PushResult::queue_full);
    REQUIRE(it.owner == &destroyed);
    REQUIRE(bounded.drain(batch).taken == 1);
    REQUIRE(batch[0].producer == 1);
  }
}

TEST_CASE("BatchQueue: close racing producers and the consumer loses and duplicates nothing",
          "[batch_queue]") {
  const std::size_t max_queue = GENERATE(std::size_t{0}, std::size_t{16});
  constexpr int kProducers = 3;
  CAPTURE(max_queue);
  std::atomic<int> created{0}, destroyed{0};
  Doorbell bell;
  auto queue = std::make_unique<BatchQueue<Item>>(max_queue, [&bell] { return bell.ring(); });

  int accepted[kProducers] = {};
  std::atomic<int> kept_errors{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0;; ++i) {
        Item item(p, i, &destroyed);
        ++created;
        const PushResult r = (i % 2 == 0) ? queue->push(item) : queue->try_push(item);
        if (r == PushResult::closing) {
          if (item.owner == nullptr) ++kept_errors;
          break;
        }
        if (r == PushResult::ok) {
          ++accepted[p];
        } else {
          --i;  // queue_full: retry the same sequence number (item destroyed, recreated)
        }
      }
    });
  }

  std::atomic<int> received{0};
  std::vector<int> seen[kProducers];
  std::thread consumer([&] {
    std::vector<Item> batch;
    bool rescheduled = false;
    while (rescheduled || bell.wait()) {
      DrainResult r = queue->drain(batch, 32);
      for (const Item& item : batch) seen[item.producer].push_back(item.seq);
      received += static_cast<int>(r.taken);
      batch.clear();
      queue->release(r.taken);
      rescheduled = r.more;
    }
  });

  await([&] { return received.load() >= 3000; });
  std::vector<Item> rest = queue->close();
  for (auto& t : producers) t.join();
  bell.stop();
  consumer.join();

  REQUIRE(kept_errors == 0);
  for (const Item& item : rest) seen[item.producer].push_back(item.seq);
  for (int p = 0; p < kProducers; ++p) {
    REQUIRE(seen[p].size() == static_cast<std::size_t>(accepted[p]));
    for (std::size_t i = 0; i < seen[p].size(); ++i) REQUIRE(seen[p][i] == static_cast<int>(i));
  }
  rest.clear();
  queue.reset();
  REQUIRE(destroyed == created);
  REQUIRE(bell.overlapping() == 0);
}
