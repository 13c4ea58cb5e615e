// Tests of napix/detail/cancel_state.h (CancelToken's state): callbacks exactly once on the
// cancelling thread, racing cancels and registrations, unregistering while a callback runs.
// Run under ThreadSanitizer and AddressSanitizer by `npm run test:sanitize`.
#include <napix/detail/cancel_state.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "catch.h"

namespace {

using napix::detail::CancelNode;
using napix::detail::CancelState;

// A registration as CancelRegistration does it.
struct Reg {
  std::shared_ptr<CancelState> state;
  CancelNode* node = nullptr;
  ~Reg() {
    if (node != nullptr && state->remove(node)) delete node;
  }
};

template <class F>
std::unique_ptr<Reg> on_cancel(const std::shared_ptr<CancelState>& s, F f) {
  auto* node = new CancelNode();
  node->fn = std::move(f);
  if (!s->add(node)) {
    node->fn();
    delete node;
    return std::make_unique<Reg>();
  }
  auto r = std::make_unique<Reg>();
  r->state = s;
  r->node = node;
  return r;
}

}  // namespace

TEST_CASE("CancelState: racing cancels and registrations: every callback runs exactly once", "[cancel]") {
  for (int round = 0; round < 50; ++round) {
    auto s = std::make_shared<CancelState>();
    std::atomic<int> runs{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    std::vector<std::unique_ptr<Reg>> regs(4 * 25);
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        while (!go.load()) std::this_thread::yield();
        for (int i = 0; i < 25; ++i) regs[t * 25 + i] = on_cancel(s, [&runs] { runs++; });
      });
    }
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      s->cancel();
    });
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      s->cancel();
    });
    go = true;
    for (auto& t : threads) t.join();
    REQUIRE(s->cancelled());
    REQUIRE(runs.load() == 100);
    regs.clear();
    REQUIRE(runs.load() == 100);
  }
}

TEST_CASE("CancelState: a registration removed before cancel never runs", "[cancel]") {
  auto s = std::make_shared<CancelState>();
  int a = 0, b = 0;
  auto ra = on_cancel(s, [&a] { a++; });
  { auto rb = on_cancel(s, [&b] { b++; }); }
  s->cancel();
  s->cancel();
  REQUIRE(a == 1);
  REQUIRE(b == 0);
}

TEST_CASE("CancelState: removing a running callback from another thread waits for it", "[cancel]") {
  for (int round = 0; round < 20; ++round) {
    auto s = std::make_shared<CancelState>();
    std::atomic<bool> entered{false}, release{false}, finished{false};
    auto r = on_cancel(s, [&] {
      entered = true;
      while (!release.load()) std::this_thread::yield();
      finished = true;
    });
    std::thread canceller([&] { s->cancel(); });
    while (!entered.load()) std::this_thread::yield();
    bool finished_first = false;
    std::thread remover([&] {
      r.reset();
      finished_first = finished.load();
    });
    release = true;
    remover.join();
    canceller.join();
    REQUIRE(finished_first);
  }
}

TEST_CASE("CancelState: a callback removing its own registration does not deadlock", "[cancel]") {
  auto s = std::make_shared<CancelState>();
  int runs = 0;
  std::unique_ptr<Reg> self;
  self = on_cancel(s, [&] {
    runs++;
    self.reset();  // on the cancelling thread: returns at once, cancel() frees the node
  });
  std::thread([&] { s->cancel(); }).join();
  REQUIRE(runs == 1);
  REQUIRE(self == nullptr);
}
