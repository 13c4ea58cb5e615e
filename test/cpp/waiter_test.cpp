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
