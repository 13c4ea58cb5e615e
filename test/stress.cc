// The mixed teardown stress (issue 6): native producer threads mixing every kind of napix traffic
// while their environment is torn down, with exact, process-wide accounting.
//
// stress.start({threads, maxQueue, fn, seed, keepAlive}) starts `threads` detached producers.
// Each loops until a call returns `closing`, picking per iteration (seeded, per thread) one of:
//   fire   ThreadSafeCallback::call(closure) on an UNBOUNDED callback (fire and forget);
//   block  ThreadSafeCallback::call(closure) on a BOUNDED callback (max_queue = maxQueue), so
//          producers block on the full queue;
//   async  ThreadSafeCallback::call_async<double>(arg) on the unbounded callback; `fn` returns a
//          number or a promise of one; up to kWindow futures outstanding per producer;
//   defer  a Deferred fetched from the JS thread by a Channel::send_async round trip, then settled
//          from the producer with Channel::settle_with through the bounded callback's queue;
//   task   a closure that, on the JS thread, queues a napix::task (every 4th one is cancelled at
//          once through its TaskHandle).
// `fn(op)` is called with op 1 (fire), 2 (block) or 3 (async).
//
// Every operation is counted exactly once per ledger (see `violations()`): a closure ran or was
// destroyed unrun (Track's destructor), a call was accepted or refused; a call_async argument was
// converted (the call ran) or destroyed unconverted, and its future gave a value, another error
// or ClosingError; a Deferred was created, then settled by its closure or destroyed with it; a
// task's execute and complete each ran or were destroyed unrun. Counters are process-wide (a
// Worker and the main thread share this shared object), never destroyed (producers may still
// count during process exit), and read by the main thread after the Worker is gone.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common.h"

namespace {

using napix::Deferred;
using napix::Status;
using napix::ThreadSafeCallback;

// clang-format off
#define NAPIX_STRESS_COUNTERS(X)                                                            \
  X(producersStarted) X(producersDone)                                                      \
  X(fireAttempted) X(fireOk) X(fireRefused) X(fireRan) X(fireDropped)                       \
  X(blockAttempted) X(blockOk) X(blockRefused) X(blockRan) X(blockDropped)                  \
  X(asyncAttempted) X(asyncConverted) X(asyncUnconverted) X(asyncValue) X(asyncFailed)      \
  X(asyncClosingRan) X(asyncClosingUnrun) X(asyncImpossible) X(asyncUndecided)              \
  X(fetchAttempted) X(fetchOk) X(fetchClosing) X(fetchFailed) X(deferredCreated)            \
  X(settleAttempted) X(settleOk) X(settleRefused) X(settleRan) X(settleDropped)             \
  X(seenResolved) X(seenDropped) X(seenOther)                                               \
  X(queueAttempted) X(queueOk) X(queueRefused) X(queueRan) X(queueDropped)                  \
  X(tasksQueued) X(tasksNotQueued) X(tasksCancelled) X(taskExecuted) X(taskExecDropped)     \
  X(taskCompleted) X(taskCompleteDropped)
// clang-format on

enum Counter : int {
#define NAPIX_STRESS_ENUM(name) name,
  NAPIX_STRESS_COUNTERS(NAPIX_STRESS_ENUM)
#undef NAPIX_STRESS_ENUM
      kCounters
};

constexpr const char* kNames[] = {
#define NAPIX_STRESS_NAME(name) #name,
    NAPIX_STRESS_COUNTERS(NAPIX_STRESS_NAME)
#undef NAPIX_STRESS_NAME
};

struct Shared {
  std::atomic<long> counts[kCounters] = {};
  std::atomic<bool> tasks_enabled{true};
};
// Never destroyed: detached producers may still count while the process exits.
Shared& shared() {
  static Shared* s = new Shared();
  return *s;
}
// Sequentially consistent: a check made while producers run (main-thread process.exit()) must
// never see a part counted before its total.
void bump(Counter c) {
  shared().counts[c].fetch_add(1);
}
long get(Counter c) {
  return shared().counts[c].load();
}

// How many futures a producer keeps outstanding before it waits for the oldest.
constexpr std::size_t kWindow = 4;

// Counts `Ran` when ran() is called, `Dropped` when destroyed before that: exactly one of the two,
// once. Move-only, so a closure holding it can be neither copied nor counted twice.
template <Counter Ran, Counter Dropped>
class Track {
 public:
  Track() = default;
  Track(Track&& o) noexcept : live_(std::exchange(o.live_, false)) {}
  Track& operator=(Track&&) = delete;
  ~Track() {
    if (live_) bump(Dropped);
  }
  void ran() {
    if (std::exchange(live_, false)) bump(Ran);
  }

 private:
  bool live_ = true;
};

// The argument of a call_async: its conversion on the JS thread means the call ran. The token
// (shared with the producer) records which of "converted" (1) / "destroyed unconverted" (2)
// happened, so the producer can pair it with what its future reported.
struct AsyncArg {
  explicit AsyncArg(std::shared_ptr<std::atomic<int>> t) : token(std::move(t)) {}
  AsyncArg(AsyncArg&&) noexcept = default;
  AsyncArg& operator=(AsyncArg&&) = delete;
  ~AsyncArg() {
    int expected = 0;
    if (token && token->compare_exchange_strong(expected, 2)) bump(asyncUnconverted);
  }
  std::shared_ptr<std::atomic<int>> token;
};

}  // namespace

template <>
struct napix::Converter<AsyncArg> {
  static Napi::Value to_js(Napi::Env env, const AsyncArg& a) {
    int expected = 0;
    if (a.token && a.token->compare_exchange_strong(expected, 1)) bump(asyncConverted);
    return Napi::Number::New(env, 3);
  }
};

namespace {

enum class Got { value, failed, closing };

// What a future reported; a value is stored into *out when `out` is not null.
template <class T, class Out>
Got outcome(std::future<T>& f, Out* out) {
#if NAPIX_EXCEPTIONS
  try {
    if (out != nullptr) {
      *out = f.get();
    } else {
      f.get();
    }
    return Got::value;
  } catch (const napix::ClosingError&) {
    return Got::closing;
  } catch (...) {
    return Got::failed;
  }
#else
  auto r = f.get();
  if (r) {
    if (out != nullptr) *out = std::move(r).value();
    return Got::value;
  }
  return r.error().code == napix::kClosingCode ? Got::closing : Got::failed;
#endif
}

struct PendingAsync {
  std::future<napix::Fallible<double>> future;
  std::shared_ptr<std::atomic<int>> token;
};

// Waits for a call_async future, then for its argument's fate, and counts the pair.
void harvest(PendingAsync& p) {
  Got got = outcome(p.future, static_cast<double*>(nullptr));
  // The argument dies with the queued closure, possibly just after the future was completed.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int token = 0;
  while ((token = p.token->load()) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  if (token == 0) {
    bump(asyncUndecided);
  } else if (token == 1) {
    bump(got == Got::value ? asyncValue : got == Got::failed ? asyncFailed : asyncClosingRan);
  } else {
    bump(got == Got::closing ? asyncClosingUnrun : asyncImpossible);
  }
}

// xorshift64*: a per-thread, seeded choice of operation.
struct Rng {
  std::uint64_t s;
  explicit Rng(std::uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  std::uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
};

// On the JS thread: count how the promise settles, as JS sees it.
// Exceptions off, a failed napix::promise() (the Worker is terminating) gives an empty promise,
// with no env: using it would be node-addon-api's fatal error, so check first.
void observe(Napi::Env env, Napi::Promise p) {
  if (p.IsEmpty()) return;
  Napi::Value then = p.Get("then");
  if (then.IsEmpty() || !then.IsFunction()) return;
  Napi::Function on_resolved = Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    bump(seenResolved);
    return info.Env().Undefined();
  });
  Napi::Function on_rejected = Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    Napi::Value e = info[0];
    bool dropped = false;
    if (e.IsObject()) {
      Napi::Value code = e.As<Napi::Object>().Get("code");
      dropped = !code.IsEmpty() && code.IsString() &&
                code.As<Napi::String>().Utf8Value() == napix::kDeferredDroppedCode;
    }
    bump(dropped ? seenDropped : seenOther);
    return info.Env().Undefined();
  });
  if (on_resolved.IsEmpty() || on_rejected.IsEmpty()) return;
  then.As<Napi::Function>().Call(p, {on_resolved, on_rejected});
}

// On the JS thread: a closure of the `task` operation queues one task (the n-th of its producer).
void queue_task(Napi::Env env, std::uint64_t n) {
  if (!shared().tasks_enabled.load()) {
    bump(tasksNotQueued);
    return;
  }
  bump(tasksQueued);
  auto execute = [t = Track<taskExecuted, taskExecDropped>()](napix::TaskContext& ctx) mutable {
    t.ran();
    return ctx.cancelled() ? 0 : 1;
  };
  auto complete = [t = Track<taskCompleted, taskCompleteDropped>()](Napi::Env, int v) mutable {
    t.ran();
    return v;
  };
  if (n % 4 == 0) {
    auto [handle, promise] =
        napix::task(env, std::move(execute)).cancellable_promise(std::move(complete));
    handle.cancel();
    bump(tasksCancelled);
    // The promise rejects with an AbortError: handle it, or the Worker dies of an unhandled
    // rejection.
    Napi::Value katch = promise.IsEmpty() ? Napi::Value() : promise.Get("catch");
    if (!katch.IsEmpty() && katch.IsFunction()) {
      katch.As<Napi::Function>().Call(promise,
                                      {Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                                        return info.Env().Undefined();
                                      })});
    }
  } else {
    napix::task(env, std::move(execute))
        .and_then([c = std::move(complete)](Napi::Env env, int v) mutable { c(env, v); });
  }
}

// Counts a blocking call's Status as accepted or refused (queue_full cannot happen: producers are
// not on the JS thread); true on `closing`, which ends the producer's loop.
bool closing(Status s, Counter ok, Counter refused) {
  bump(s == Status::ok ? ok : refused);
  return s == Status::closing;
}

void produce(ThreadSafeCallback unbounded, ThreadSafeCallback bounded, std::uint64_t seed) {
  Rng rng(seed);
  std::deque<PendingAsync> window;
  bool done = false;
  for (std::uint64_t n = 0; !done; ++n) {
    while (!window.empty() &&
           window.front().future.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      harvest(window.front());
      window.pop_front();
    }
    switch (rng.next() % 5) {
      case 0: {
        bump(fireAttempted);
        Status s = unbounded.call([t = Track<fireRan, fireDropped>()](
                                      Napi::Env env, Napi::Value self, Napi::Function fn) mutable {
          t.ran();
          fn.Call(self, {Napi::Number::New(env, 1)});
        });
        done = closing(s, fireOk, fireRefused);
        break;
      }
      case 1: {
        bump(blockAttempted);
        Status s = bounded.call([t = Track<blockRan, blockDropped>()](
                                    Napi::Env env, Napi::Value self, Napi::Function fn) mutable {
          t.ran();
          fn.Call(self, {Napi::Number::New(env, 2)});
        });
        done = closing(s, blockOk, blockRefused);
        break;
      }
      case 2: {
        if (window.size() >= kWindow) {
          harvest(window.front());
          window.pop_front();
        }
        bump(asyncAttempted);
        auto token = std::make_shared<std::atomic<int>>(0);
        window.push_back({unbounded.call_async<double>(AsyncArg(token)), token});
        break;
      }
      case 3: {
        bump(fetchAttempted);
        auto f = unbounded.channel().send_async([](Napi::Env env) {
          auto [d, p] = napix::promise(env);
          observe(env, p);
          // Counted only when a promise was made and the round trip will hand its Deferred over
          // (capture() turns a pending exception into an error instead). Exceptions off, once
          // JS cannot run promise() gives an empty Deferred and no exception can be left
          // pending: the producer gets the empty one.
          if (!d.settled() && !env.IsExceptionPending()) bump(deferredCreated);
          return std::move(d);
        });
        Deferred d;
        Got got = outcome(f, &d);
        if (got == Got::value && d.settled()) got = Got::failed;  // no promise could be made
        if (got != Got::value) {
          bump(got == Got::closing ? fetchClosing : fetchFailed);
          done = got == Got::closing;
          break;
        }
        bump(fetchOk);
        bump(settleAttempted);
        Status s = bounded.channel().settle_with(
            std::move(d), [t = Track<settleRan, settleDropped>()](Napi::Env) mutable {
              t.ran();
              return 7;
            });
        done = closing(s, settleOk, settleRefused);
        break;
      }
      default: {
        bump(queueAttempted);
        Status s = unbounded.call([t = Track<queueRan, queueDropped>(), n](
                                      Napi::Env env, Napi::Value, Napi::Function) mutable {
          t.ran();
          queue_task(env, n);
        });
        done = closing(s, queueOk, queueRefused);
        break;
      }
    }
  }
  for (PendingAsync& p : window) harvest(p);
  window.clear();
  bump(producersDone);
}

// start({threads, maxQueue, fn, seed, keepAlive})
Napi::Value start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  int threads = o.Get("threads").As<Napi::Number>().Int32Value();
  std::uint64_t seed =
      o.Has("seed") ? std::uint64_t(o.Get("seed").As<Napi::Number>().Int64Value()) : 0;
  Napi::Function fn = o.Get("fn").As<Napi::Function>();
  napix::CallbackOptions free_opts, bounded_opts;
  free_opts.name = "napix:stress-unbounded";
  bounded_opts.name = "napix:stress-bounded";
  bounded_opts.max_queue = o.Get("maxQueue").As<Napi::Number>().Uint32Value();
  if (o.Has("keepAlive")) {
    free_opts.keep_alive = bounded_opts.keep_alive = o.Get("keepAlive").As<Napi::Boolean>().Value();
  }
  ThreadSafeCallback unbounded(fn, free_opts);
  ThreadSafeCallback bounded(fn, bounded_opts);
  for (int t = 0; t < threads; ++t) {
    bump(producersStarted);
    std::thread(produce, unbounded, bounded, seed * 64 + std::uint64_t(t)).detach();
  }
  return env.Undefined();
}

// The ledgers. Each row: a total and the parts it splits into, exactly once each. `partial`: the
// run may not be over (main-thread process.exit() runs no teardown), so only "no part counted
// more often than its total" is checked.
struct Row {
  Counter total;
  std::vector<Counter> parts;
  const char* what;
};
const std::vector<Row>& rows() {
  // clang-format off
  static const std::vector<Row>* r = new std::vector<Row>{
      {producersStarted, {producersDone}, "every producer saw closing and returned"},
      {fireAttempted, {fireOk, fireRefused}, "fire: each call accepted or refused"},
      {fireAttempted, {fireRan, fireDropped}, "fire: each closure ran or was destroyed unrun"},
      {blockAttempted, {blockOk, blockRefused}, "block: each call accepted or refused"},
      {blockAttempted, {blockRan, blockDropped}, "block: each closure ran or was destroyed unrun"},
      {asyncAttempted, {asyncConverted, asyncUnconverted}, "async: each call ran or was destroyed unrun"},
      {asyncConverted, {asyncValue, asyncFailed, asyncClosingRan}, "async: each call that ran completed its future"},
      {asyncUnconverted, {asyncClosingUnrun}, "async: each call destroyed unrun failed its future with ClosingError"},
      {fetchAttempted, {fetchOk, fetchClosing, fetchFailed}, "defer: each round trip completed its future"},
      {deferredCreated, {fetchOk}, "defer: each Deferred created reached its producer"},
      {fetchOk, {settleAttempted}, "defer: each Deferred received was settled with settle_with"},
      {settleAttempted, {settleOk, settleRefused}, "defer: each settle_with accepted or refused"},
      {settleAttempted, {settleRan, settleDropped}, "defer: each Deferred settled by its closure or destroyed with it"},
      {queueAttempted, {queueOk, queueRefused}, "task: each call accepted or refused"},
      {queueAttempted, {queueRan, queueDropped}, "task: each closure ran or was destroyed unrun"},
      {queueRan, {tasksQueued, tasksNotQueued}, "task: each closure that ran queued a task (or tasks were stopped)"},
      {tasksQueued, {taskExecuted, taskExecDropped}, "task: each execute ran or was destroyed unrun"},
      {tasksQueued, {taskCompleted, taskCompleteDropped}, "task: each complete ran or was destroyed unrun"},
  };
  // clang-format on
  return *r;
}

std::vector<std::string> violations(bool partial) {
  std::vector<std::string> out;
  auto show = [](Counter c) { return std::string(kNames[c]) + " " + std::to_string(get(c)); };
  for (const Row& row : rows()) {
    long sum = 0;
    std::string parts;
    for (Counter c : row.parts) {
      sum += get(c);
      parts += (parts.empty() ? "" : " + ") + show(c);
    }
    long total = get(row.total);
    if (partial ? sum > total : sum != total) {
      out.push_back(std::string(row.what) + ": " + show(row.total) + (partial ? " < " : " != ") +
                    parts);
    }
  }
  // Always, finished or not: JS saw only the outcomes napix promises, nothing impossible happened.
  auto never = [&](Counter c, const char* what) {
    if (get(c) != 0) out.push_back(std::string(what) + ": " + show(c));
  };
  never(asyncImpossible, "async: a call destroyed unrun completed its future with a value");
  never(asyncUndecided,
        "async: a call's argument was neither converted nor destroyed 10 s after its future "
        "completed");
  never(seenOther, "defer: a promise rejected with something else than ERR_NAPIX_DEFERRED_DROPPED");
  auto at_most = [&](Counter part, Counter total, const char* what) {
    long p = get(part);  // read first: the total only grows
    if (p > get(total)) out.push_back(std::string(what) + ": " + show(part) + " > " + show(total));
  };
  at_most(seenResolved, settleRan, "defer: JS saw more resolutions than closures ran");
  // A Deferred dropped off its JS thread is rejected through napix's internal Channel, which may
  // run before the rest of its closure (the Track) is destroyed: exact only once all is over.
  if (!partial) {
    at_most(seenDropped, settleDropped,
            "defer: JS saw more ERR_NAPIX_DEFERRED_DROPPED rejections than Deferreds dropped");
  }
  return out;
}

std::string to_json(bool partial) {
  std::string s = "{\"counters\":{";
  for (int c = 0; c < kCounters; ++c) {
    s += std::string(c ? "," : "") + "\"" + kNames[c] + "\":" + std::to_string(get(Counter(c)));
  }
  s += "},\"violations\":[";
  std::vector<std::string> v = violations(partial);
  for (std::size_t i = 0; i < v.size(); ++i) s += std::string(i ? "," : "") + "\"" + v[i] + "\"";
  return s + "]}";
}

// Every kind of operation has happened at least once (the Worker waits for it before it is ended).
bool mixed() {
  for (Counter c :
       {fireRan, blockRan, asyncConverted, settleRan, queueRan, taskExecuted, taskCompleted}) {
    if (get(c) == 0) return false;
  }
  return true;
}

Napi::Value counters(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  for (int c = 0; c < kCounters; ++c) o.Set(kNames[c], double(get(Counter(c))));
  return o;
}

// check(partial?): the ledger rows that do not add up, as strings (empty: all exact).
Napi::Value check(const Napi::CallbackInfo& info) {
  bool partial = info.Length() > 0 && info[0].ToBoolean().Value();
  std::vector<std::string> v = violations(partial);
  Napi::Array a = Napi::Array::New(info.Env(), v.size());
  for (std::size_t i = 0; i < v.size(); ++i) a.Set(uint32_t(i), v[i]);
  return a;
}

Napi::Value is_mixed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), mixed());
}

// reset(): zeroes the ledgers for the next cycle; refuses while producers of the last one run.
Napi::Value reset(const Napi::CallbackInfo& info) {
  if (get(producersStarted) != get(producersDone)) {
    NAPI_THROW(Napi::Error::New(info.Env(),
                                "stress.reset(): producers of the last cycle are still running"),
               Napi::Value());
  }
  for (auto& c : shared().counts) c.store(0);
  shared().tasks_enabled = true;
  return info.Env().Undefined();
}

// stopTasks(): closures of the `task` operation stop queuing tasks (queued tasks keep the event
// loop alive, so a main thread that must exit naturally stops them first).
Napi::Value stop_tasks(const Napi::CallbackInfo& info) {
  shared().tasks_enabled = false;
  return info.Env().Undefined();
}

// reportAtExit(wait): prints `stress: <json>` from an atexit handler, i.e. after the main
// environment's teardown. wait: first wait (up to 10 s) for every producer to return and every
// ledger to add up; else print at once, checking only `partial` (process.exit() runs no teardown).
bool g_report_wait = false;
Napi::Value report_at_exit(const Napi::CallbackInfo& info) {
  g_report_wait = info.Length() > 0 && info[0].ToBoolean().Value();
  std::atexit([] {
    auto start = std::chrono::steady_clock::now();
    if (g_report_wait) {
      while (!violations(false).empty() &&
             std::chrono::steady_clock::now() - start < std::chrono::seconds(10)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    long waited = long(std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count());
    std::printf("stress: {\"waitedMs\":%ld,\"report\":%s}\n", waited,
                to_json(!g_report_wait).c_str());
    std::fflush(stdout);
  });
  return info.Env().Undefined();
}

}  // namespace

void init_stress(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
  napix_test::add(o, "start", start);
  napix_test::add(o, "counters", counters);
  napix_test::add(o, "check", check);
  napix_test::add(o, "mixed", is_mixed);
  napix_test::add(o, "reset", reset);
  napix_test::add(o, "stopTasks", stop_tasks);
  napix_test::add(o, "reportAtExit", report_at_exit);
  exports.Set("stress", o);
}
