// Tests of napix/detail/waiter.h: a value set before the wait, while the waiter sleeps, and while
// it spins; timed waits; a slot on the waiter's stack destroyed right after the wait (the call_sync
// shape). Run under ThreadSanitizer and AddressSanitizer to catch races and use-after-free.
#include <napix/detail/waiter.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "catch.h"

namespace {

using napix::detail::OneShot;
using namespace std::chrono_literals;

template <class F>
void await(F done) {
  while (!done()) std::this_thread::yield();
}

}  // namespace

TEST_CASE("OneShot: a value set before the wait is returned at once", "[waiter]") {
  const auto spin = GENERATE(std::chrono::nanoseconds(0), OneShot<int>::kDefaultSpin);
  OneShot<std::string> slot;
  REQUIRE_FALSE(slot.ready());
  slot.set("done");
  REQUIRE(slot.ready());
  REQUIRE(slot.wait(spin) == "done");
}

TEST_CASE("OneShot: a value set while the waiter sleeps wakes it", "[waiter]") {
  for (int round = 0; round < 50; ++round) {
    OneShot<int> slot;
    int result = 0;
    std::thread waiter([&] { result = slot.wait(std::chrono::nanoseconds(0)); });
    await([&] { return slot.has_sleeping_waiter(); });  // past the spin, inside the condvar wait
    slot.set(round);
    waiter.join();
    REQUIRE(result == round);
    REQUIRE_FALSE(slot.has_sleeping_waiter());
  }
}

TEST_CASE("OneShot: a value set while the waiter spins is seen by the spin", "[waiter]") {
  for (int round = 0; round < 50; ++round) {
    OneShot<int> slot;
    std::atomic<bool> started{false};
    int result = 0;
    std::thread waiter([&] {
      started = true;
      result = slot.wait(std::chrono::hours(1));  // never sleeps: only the spin can see the set
    });
    await([&] { return started.load(); });
    slot.set(round);
    waiter.join();
    REQUIRE(result == round);
  }
}

TEST_CASE("OneShot: the waiter may destroy a slot on its stack as soon as wait returns",
          "[waiter]") {
  // The call_sync shape: the slot lives on the waiting thread's stack and the setter holds only
  // its address. Any touch of the slot by set() after the waiter returned is a use-after-free.
  const auto spin = GENERATE(std::chrono::nanoseconds(0), std::chrono::nanoseconds(2000),
                             std::chrono::nanoseconds(std::chrono::hours(1)));
  std::atomic<OneShot<std::unique_ptr<int>>*> published{nullptr};
  std::atomic<int> wrong{0};
  constexpr int kRounds = 300;
  std::thread setter([&] {
    for (int round = 0; round < kRounds; ++round) {
      OneShot<std::unique_ptr<int>>* slot;
      while ((slot = published.exchange(nullptr)) == nullptr) std::this_thread::yield();
      slot->set(std::make_unique<int>(round));
    }
  });
  for (int round = 0; round < kRounds; ++round) {
    OneShot<std::unique_ptr<int>> slot;
    published = &slot;
    std::unique_ptr<int> value = slot.wait(spin);
    if (!value || *value != round) ++wrong;
  }
  setter.join();
  REQUIRE(wrong == 0);
}

TEST_CASE("OneShot: wait_for gives up at the timeout and can wait again", "[waiter]") {
  OneShot<int> slot;
  const auto start = std::chrono::steady_clock::now();
  REQUIRE_FALSE(slot.wait_for(2ms).has_value());
  REQUIRE(std::chrono::steady_clock::now() - start >= 2ms);
  REQUIRE_FALSE(slot.wait_for(0ms, std::chrono::nanoseconds(0)).has_value());
  REQUIRE_FALSE(slot.has_sleeping_waiter());

  std::thread setter([&] {
    await([&] { return slot.has_sleeping_waiter(); });
    slot.set(5);
  });
  std::optional<int> value = slot.wait_for(std::chrono::hours(1), std::chrono::nanoseconds(0));
  setter.join();
  REQUIRE(value == 5);
}

TEST_CASE("OneShot: wait_until with a value already set and with a system_clock deadline",
          "[waiter]") {
  OneShot<int> slot;
  slot.set(11);
  REQUIRE(slot.wait_until(std::chrono::steady_clock::now() - 1s) == 11);

  OneShot<int> empty;
  REQUIRE_FALSE(empty.wait_until(std::chrono::system_clock::now() + 1ms).has_value());
}

TEST_CASE("OneShot: move-only values and no default constructor needed", "[waiter]") {
  struct NoDefault {
    explicit NoDefault(int v) : value(v) {}
    NoDefault(NoDefault&&) = default;
    int value;
  };
  OneShot<NoDefault> slot;
  slot.set(NoDefault(3));
  REQUIRE(slot.wait().value == 3);
}

// The fallback to blocking (issue 15): counted through wait_counters(), not timed. The setter
// sets only once the waiter blocks, so every spin runs out; then only once it spins or blocks.
TEST_CASE("OneShot: a waiter whose spins keep missing blocks at once, probing less and less often",
          "[waiter]") {
  using napix::detail::wait_counters;
  using napix::detail::WaitCounters;
  using napix::detail::waiter_budget;
  std::atomic<OneShot<int>*> published{nullptr};
  std::atomic<int> phase{1};  // 1: set once the waiter sleeps; 2: once it spins or sleeps
  std::atomic<bool> stop{false};
  std::thread setter([&] {
    int round = 0;
    while (!stop) {
      OneShot<int>* slot = published.load();
      if (slot == nullptr || slot->ready()) {
        std::this_thread::yield();
        continue;
      }
      if (slot->has_sleeping_waiter() || (phase == 2 && slot->has_spinning_waiter())) {
        published = nullptr;
        slot->set(round++);
      }
    }
  });
  WaitCounters before{}, after_phase1{}, after_phase2{};
  unsigned skipping = 0;
  std::thread waiter([&] {
    waiter_budget().set_limits(50us, 50us);
    before = wait_counters();
    for (int i = 0; i < 100; ++i) {
      OneShot<int> slot;
      published = &slot;
      (void)slot.wait();
    }
    after_phase1 = wait_counters();
    skipping = waiter_budget().skipping();
    // A budget no setter can miss: the next probe sees its value and spinning resumes.
    waiter_budget().set_limits(1s, 1s);
    phase = 2;
    for (int i = 0; i < 100; ++i) {
      OneShot<int> slot;
      published = &slot;
      (void)slot.wait();
    }
    after_phase2 = wait_counters();
  });
  waiter.join();
  stop = true;
  setter.join();
  // Waits 1, 3, 7, 15, 31 and 63 spin (a miss doubles the back-off: 1, 3, 7 ... 63 waits); the rest
  // block at once. Every wait sleeps at least once.
  CHECK(after_phase1.spins_missed - before.spins_missed == 6);
  CHECK(after_phase1.spins_hit - before.spins_hit == 0);
  CHECK(after_phase1.blocked_at_once - before.blocked_at_once == 94);
  CHECK(after_phase1.sleeps - before.sleeps >= 100);
  REQUIRE(skipping == 126 - 100);  // wait 127 is the next probe
  // Phase 2: the waits still backing off block at once; the probe hits, and so does every spin
  // after it.
  CHECK(after_phase2.blocked_at_once - after_phase1.blocked_at_once == skipping);
  CHECK(after_phase2.spins_hit - after_phase1.spins_hit == 100 - skipping);
  CHECK(after_phase2.spins_missed - after_phase1.spins_missed == 0);
}

TEST_CASE("SpinBudget: hits set the spin to 4x their mean, within the bounds", "[waiter]") {
  napix::detail::SpinBudget budget(2us, 20us);
  REQUIRE(budget.next() == 20us);  // the mean starts at a quarter of the ceiling
  for (int i = 0; i < 40; ++i) budget.record(true, 1us);
  REQUIRE(budget.next() >= 4us);
  REQUIRE(budget.next() <= 5us);
  for (int i = 0; i < 40; ++i) budget.record(true, 100ns);
  REQUIRE(budget.next() == 2us);  // the floor
  budget.record(false, 2us);      // a miss: one wait blocks, the next probes with the ceiling
  REQUIRE(budget.next() == 0ns);
  REQUIRE(budget.next() == 20us);
  budget.record(true, 1us);  // the probe hit: back to the learned budget
  REQUIRE(budget.next() < 20us);
}

TEST_CASE("SpinBudget: forgiven misses start no back-off; the misses after them do", "[waiter]") {
  napix::detail::SpinBudget budget(2us, 20us, 1);
  for (int i = 0; i < 40; ++i) budget.record(true, 1us);
  REQUIRE(budget.next() < 20us);
  budget.record(false, 5us);  // forgiven: no wait blocks, the next probes with the ceiling
  REQUIRE(budget.skipping() == 0u);
  REQUIRE(budget.next() == 20us);
  budget.record(true, 1us);  // the probe hit: back to the learned budget
  REQUIRE(budget.next() < 20us);
  // Misses in a row: the second starts the back-off of a budget's first (1 wait), then 3, 7 ...
  budget.record(false, 5us);
  REQUIRE(budget.skipping() == 0u);
  unsigned expected = 1;
  for (int miss = 2; miss <= 12; ++miss) {
    budget.record(false, 20us);
    REQUIRE(budget.skipping() == expected);
    for (unsigned i = 0; i < expected; ++i) REQUIRE(budget.next() == 0ns);
    REQUIRE(budget.next() == 20us);  // the probe
    if (expected < 255) expected = 2 * expected + 1;
  }
  // The same ceiling as without forgiveness: at most 255 waits between probes.
  napix::detail::SpinBudget plain(2us, 20us);
  for (int miss = 0; miss < 12; ++miss) plain.record(false, 20us);
  REQUIRE(plain.skipping() == 255u);
}

TEMPLATE_TEST_CASE(
    "OneShot: both blocking mechanisms wake a sleeping waiter and survive the slot's "
    "destruction",
    "[waiter]", napix::detail::BucketPark, napix::detail::Park) {
  using Slot = OneShot<int, TestType>;
  for (int round = 0; round < 50; ++round) {
    Slot slot;
    int result = 0;
    std::thread waiter([&] { result = slot.wait(std::chrono::nanoseconds(0)); });
    await([&] { return slot.has_sleeping_waiter(); });
    slot.set(round);
    waiter.join();
    REQUIRE(result == round);
  }
  // The call_sync shape with the slot on the waiter's stack; set() may still be waking it.
  std::atomic<Slot*> published{nullptr};
  constexpr int kRounds = 300;
  std::thread setter([&] {
    for (int round = 0; round < kRounds; ++round) {
      Slot* slot;
      while ((slot = published.exchange(nullptr)) == nullptr) std::this_thread::yield();
      slot->set(round);
    }
  });
  int wrong = 0;
  for (int round = 0; round < kRounds; ++round) {
    Slot slot;
    published = &slot;
    if (slot.wait(std::chrono::nanoseconds(0)) != round) ++wrong;
  }
  setter.join();
  REQUIRE(wrong == 0);
  // Timed: gives up, then a later set is still taken.
  Slot timed;
  REQUIRE_FALSE(timed.wait_for(1ms, std::chrono::nanoseconds(0)).has_value());
  timed.set(7);
  REQUIRE(timed.wait_for(1ms) == 7);
}

TEST_CASE("OneShot: reset empties a slot for another round, destroying a value never taken",
          "[waiter]") {
  static std::atomic<int> alive{0};  // the setter thread destroys its temporary concurrently
  struct Counted {
    int v;
    explicit Counted(int x) : v(x) { ++alive; }
    Counted(Counted&& o) noexcept : v(o.v) { ++alive; }
    ~Counted() { --alive; }
  };
  alive = 0;
  {
    OneShot<Counted> slot;
    slot.set(Counted(1));
    CHECK(slot.wait(std::chrono::nanoseconds(0)).v == 1);
    slot.reset();
    CHECK_FALSE(slot.ready());
    std::thread setter([&] { slot.set(Counted(2)); });  // a second set: no "set twice" abort
    CHECK(slot.wait().v == 2);
    setter.join();
    slot.reset();
    slot.set(Counted(3));  // set, never taken
    CHECK(alive == 1);
    slot.reset();
    CHECK(alive == 0);
    CHECK_FALSE(slot.wait_for(1ms).has_value());
  }
  CHECK(alive == 0);
}
