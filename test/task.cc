// Test functions for napix/task.h: task(), TaskBuilder, TaskContext, TaskHandle.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common.h"

namespace {

using napix_test::int_arg;
using napix_test::state;

// Process-wide counts (Workers included), never destroyed: pool threads may still touch them.
struct TaskCounters {
  std::atomic<long> executed{0};   // executes of counted tasks that ran
  std::atomic<long> started{0};    // blockers / loopers that started
  std::atomic<long> observed{0};   // loopers that saw ctx.cancelled()
  std::mutex mutex;
  std::condition_variable cv;
  bool open = false;  // the latch blockers wait on
};
TaskCounters& tc() {
  static TaskCounters* c = new TaskCounters();
  return *c;
}

// Handles kept for JS: cancel(id).
thread_local std::unordered_map<int, napix::TaskHandle> handles;
thread_local int next_handle = 0;

Napi::Value with_handle(Napi::Env env, std::pair<napix::TaskHandle, Napi::Promise> hp) {
  int id = next_handle++;
  handles[id] = hp.first;
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, id));
  out.Set(1u, hp.second);
  return out;
}

std::string str_arg(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && info[i].IsString() ? info[i].As<Napi::String>().Utf8Value() : "";
}

// value(kind, n): promise() / promise(complete) / cancellable_promise() of each result kind.
Napi::Value value(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string kind = str_arg(info, 0);
  int n = int_arg(info, 1);
  if (kind == "int") return napix::task(env, [n] { return n * 2; }).promise();
  if (kind == "string") return napix::task(env, [n] { return std::string("s") + std::to_string(n); }).promise();
  if (kind == "vector") return napix::task(env, [n] { return std::vector<int>{n, n + 1}; }).promise();
  if (kind == "void") {
    return napix::task(env, [] { tc().executed++; }).promise();
  }
  if (kind == "ctx") {
    return napix::task(env, [n](napix::TaskContext& ctx) { return ctx.cancelled() ? -1 : n; }).promise();
  }
  if (kind == "complete") {
    return napix::task(env, [n] { return n; }).promise([](Napi::Env env, int v) {
      return Napi::String::New(env, "got " + std::to_string(v));
    });
  }
  if (kind == "void-complete") {
    return napix::task(env, [] {}).promise([](Napi::Env) { return 7; });
  }
  if (kind == "move-only") {
    // moved, never copied: std::unique_ptr cannot be copied at all
    return napix::task(env, [n] { return std::make_unique<int>(n); })
        .promise([](Napi::Env, std::unique_ptr<int>&& p) { return *p + 1; });
  }
  if (kind == "result-ok") return napix::task(env, [n] { return napix::Result<int>(n); }).promise();
  if (kind == "result-void") return napix::task(env, [] { return napix::Result<void>(); }).promise();
  if (kind == "result-move-only") {
    return napix::task(env, [n] { return napix::Result<std::unique_ptr<int>>(std::make_unique<int>(n)); })
        .promise([](Napi::Env, std::unique_ptr<int>&& p) { return *p * 10; });
  }
  if (kind == "cancellable") return with_handle(env, napix::task(env, [n] { return n + 100; }).cancellable_promise());
  if (kind == "cancellable-complete") {
    return with_handle(env, napix::task(env, [n] { return std::make_unique<int>(n); })
                                .cancellable_promise([](Napi::Env, std::unique_ptr<int>&& p) { return *p; }));
  }
  return env.Undefined();
}

// fail(kind): promises that reject.
Napi::Value fail(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string kind = str_arg(info, 0);
  if (kind == "result-error") {
    return napix::task(env, [] { return napix::Result<int>(napix::Error::range_error("too big", "ERR_BIG")); })
        .promise();
  }
  if (kind == "result-void-error") {
    return napix::task(env, [] { return napix::Result<void>(napix::Error("plain failure")); }).promise();
  }
  if (kind == "complete-result-error") {
    return napix::task(env, [] { return 1; }).promise([](Napi::Env, int) {
      return napix::Result<int>(napix::Error::type_error("complete said no"));
    });
  }
  if (kind == "complete-pending") {
    return napix::task(env, [] { return 1; }).promise([](Napi::Env env, int) {
      napi_throw_error(env, "ERR_LEFT", "left pending");
      return 0;
    });
  }
#if NAPIX_EXCEPTIONS
  if (kind == "throw") {
    return napix::task(env, []() -> int { throw std::runtime_error("execute failed"); }).promise();
  }
  if (kind == "throw-void") {
    return napix::task(env, [](napix::TaskContext&) { throw std::logic_error("void execute failed"); }).promise();
  }
  if (kind == "throw-js-error") {
    return napix::task(env, []() -> int { throw napix::JsError("TypeError", "carried", "", "ERR_CARRIED"); })
        .promise();
  }
  if (kind == "complete-throw") {
    return napix::task(env, [] { return 1; }).promise([](Napi::Env, int) -> int {
      throw std::runtime_error("complete failed");
    });
  }
  if (kind == "complete-js-throw") {
    return napix::task(env, [] { return 1; }).promise([](Napi::Env env, int) -> int {
      throw Napi::RangeError::New(env, "complete js failed");
    });
  }
#endif
  return env.Undefined();
}

// andThen(kind, n, cb): and_then; complete calls cb with what it got.
Napi::Value and_then(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string kind = str_arg(info, 0);
  int n = int_arg(info, 1);
  int cb = state(env).keep(info[2].As<Napi::Function>());
  if (kind == "int") {
    napix::task(env, [n] { return n * 3; }).and_then([cb](Napi::Env env, int v) {
      state(env).function(cb).Call({Napi::Number::New(env, v)});
    });
  } else if (kind == "void") {
    napix::task(env, [] {}).and_then([cb](Napi::Env env) { state(env).function(cb).Call({}); });
  } else if (kind == "move-only") {
    napix::task(env, [n] { return std::make_unique<int>(n); })
        .and_then([cb](Napi::Env env, std::unique_ptr<int>&& p) {
          state(env).function(cb).Call({Napi::Number::New(env, *p)});
        });
  } else if (kind == "result") {
    napix::task(env, [n] { return napix::Result<int>(napix::Error("as a Result " + std::to_string(n))); })
        .and_then([cb](Napi::Env env, napix::Result<int>&& r) {
          state(env).function(cb).Call({Napi::String::New(env, r ? "value" : r.error().message)});
        });
  } else if (kind == "js-throw") {  // complete calls a JS function that throws: uncaughtException
    napix::task(env, [] {}).and_then([cb](Napi::Env env) { state(env).function(cb).Call({}); });
#if NAPIX_EXCEPTIONS
  } else if (kind == "cpp-throw") {
    napix::task(env, [] {}).and_then([](Napi::Env) { throw std::runtime_error("complete threw"); });
  } else if (kind == "execute-throw") {
    napix::task(env, [] { throw std::runtime_error("execute threw"); }).and_then([](Napi::Env) {});
#endif
  }
  return env.Undefined();
}

// many(count): count tasks, promise i resolves to i * 3.
Napi::Value many(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int count = int_arg(info, 0);
  Napi::Array out = Napi::Array::New(env, count);
  for (int i = 0; i < count; ++i) {
    out.Set(uint32_t(i), napix::task(env, [i] {
                           tc().executed++;
                           return i * 3;
                         }).promise());
  }
  return out;
}

// blocker(): a task that waits on the latch until release() (keeps a pool thread busy).
Napi::Value blocker(const Napi::CallbackInfo& info) {
  return napix::task(info.Env(), [] {
           tc().started++;
           std::unique_lock<std::mutex> lock(tc().mutex);
           tc().cv.wait(lock, [] { return tc().open; });
           return 1;
         }).promise();
}

Napi::Value release(const Napi::CallbackInfo& info) {
  {
    std::lock_guard<std::mutex> lock(tc().mutex);
    tc().open = true;
  }
  tc().cv.notify_all();
  return info.Env().Undefined();
}

Napi::Value reset(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(tc().mutex);
  tc().open = false;
  tc().executed = 0;
  tc().started = 0;
  tc().observed = 0;
  return info.Env().Undefined();
}

Napi::Value counts(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("executed", double(tc().executed.load()));
  o.Set("started", double(tc().started.load()));
  o.Set("observed", double(tc().observed.load()));
  auto pool = napix::detail::env_entry(info.Env()).task_pool();
  o.Set("runnersStarted", double(pool->runners_started()));
  const napix::detail::WaitCounters linger = pool->linger_counters();
  o.Set("lingerSpinsHit", double(linger.spins_hit));
  o.Set("lingerSpinsMissed", double(linger.spins_missed));
  o.Set("lingerBlockedAtOnce", double(linger.blocked_at_once));
  o.Set("lingerSleeps", double(linger.sleeps));
  return o;
}

// counted(signal?): cancellable; execute counts itself in `executed`.
Napi::Value counted(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto b = napix::task(env, [] {
    tc().executed++;
    return 5;
  });
  if (info.Length() > 0) b.signal(info[0]);
  return with_handle(env, b.cancellable_promise());
}

// looper(signal?): starts (counted in `started`), loops until ctx.cancelled(), counts `observed`.
Napi::Value looper(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto b = napix::task(env, [](napix::TaskContext& ctx) {
    tc().started++;
    while (!ctx.cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    tc().observed++;
    return 0;
  });
  b.name("looper");
  if (info.Length() > 0) b.signal(info[0]);
  return with_handle(env, b.cancellable_promise());
}

// signalled(signal): a quick task with a signal (and no handle), resolving 9.
Napi::Value signalled(const Napi::CallbackInfo& info) {
  return napix::task(info.Env(), [] {
           tc().executed++;
           return 9;
         })
      .signal(info[0])
      .promise();
}

// andThenSignal(signal, done): a counted task with a signal, completed by and_then calling done(v).
Napi::Value and_then_signal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int done = state(env).keep(info[1].As<Napi::Function>());
  napix::task(env,
              [] {
                tc().executed++;
                return 9;
              })
      .signal(info[0])
      .and_then([done](Napi::Env env, int v) {
        state(env).function(done).Call({Napi::Number::New(env, v)});
      });
  return env.Undefined();
}

Napi::Value cancel(const Napi::CallbackInfo& info) {
  int id = int_arg(info, 0);
  auto it = handles.find(id);
  if (it != handles.end()) {
    it->second.cancel();
    handles.erase(it);
  }
  return info.Env().Undefined();
}

// progress(n, fn, kind): ctx.progress(i) for i in [0, n), resolves n.
Napi::Value progress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int n = int_arg(info, 0);
  std::string kind = str_arg(info, 2);
  if (kind == "string") {
    return napix::task(env, [n](napix::TaskContext& ctx) {
             for (int i = 0; i < n; ++i) ctx.progress(std::string("p") + std::to_string(i));
             return n;
           })
        .on_progress(info[1].As<Napi::Function>())
        .promise();
  }
  return napix::task(env, [n](napix::TaskContext& ctx) {
           for (int i = 0; i < n; ++i) ctx.progress(i);
           return n;
         })
      .on_progress(info[1].As<Napi::Function>())
      .name("progress")
      .promise();
}

// als(progressFn, doneFn): and_then whose complete calls doneFn; one progress value first.
Napi::Value als(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int done = state(env).keep(info[1].As<Napi::Function>());
  napix::task(env, [](napix::TaskContext& ctx) {
    ctx.progress(1);
    return 2;
  })
      .on_progress(info[0].As<Napi::Function>())
      .and_then([done](Napi::Env env, int v) { state(env).function(done).Call({Napi::Number::New(env, v)}); });
  return env.Undefined();
}

// sleepers(count, ms): count tasks sleeping ms each (for the teardown test).
Napi::Value sleepers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int count = int_arg(info, 0), ms = int_arg(info, 1);
  for (int i = 0; i < count; ++i) {
    napix::task(env, [ms] {
      tc().executed++;
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }).promise();
  }
  return env.Undefined();
}

// afterExit(exit): calls exit() (a Worker's process.exit()), after which JS cannot run, then
// starts tasks as a closure later in the same napix batch would: exceptions off, no promise can
// be made, and cancelling the task must not settle the empty Deferred (a fatal error).
Napi::Value after_exit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  info[0].As<Napi::Function>().Call({});
  auto [handle, promise] = napix::task(env, [] { return 1; }).cancellable_promise();
  handle.cancel();
  napix::task(env, [] { return 2; }).promise();
  return promise;
}

// ---- doc/task.md examples (test/docs.test.js checks they appear here verbatim) ----

// fib(n): a promise of the n-th Fibonacci number, computed on the libuv pool.
Napi::Value fib(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  return napix::task(info.Env(), [n] {
           double a = 0, b = 1;
           for (int i = 0; i < n; ++i) a = std::exchange(b, a + b);
           return a;
         })
      .promise();
}

// countTo(n, onProgress, signal): reports every 1000th step; stops early when aborted.
Napi::Value count_to(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  return napix::task(info.Env(), [n](napix::TaskContext& ctx) -> napix::Result<int> {
           for (int i = 1; i <= n; ++i) {
             if (ctx.cancelled()) return napix::Error("AbortError", "stopped", "ABORT_ERR");
             if (i % 1000 == 0) ctx.progress(i);
           }
           return n;
         })
      .name("countTo")
      .on_progress(info[1].As<Napi::Function>())
      .signal(info[2])
      .promise();
}

// checksum(bytes, callback): callback(sum) on the JS thread, once the pool computed it.
Napi::Value checksum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  std::vector<std::uint8_t> data(bytes.Data(), bytes.Data() + bytes.ByteLength());  // a copy
  auto callback = std::make_shared<Napi::FunctionReference>(Napi::Persistent(info[1].As<Napi::Function>()));
  napix::task(env, [data = std::move(data)] {
    std::uint32_t sum = 0;
    for (std::uint8_t b : data) sum += b;
    return sum;
  }).and_then([callback](Napi::Env env, std::uint32_t sum) {
    callback->Call({Napi::Number::New(env, sum)});
  });
  return env.Undefined();
}

// resources(name, n) -> [Promise<int>]: n `.promise()` tasks returning i, named `name` (none
// when undefined): a named task gets its own async resource (its promise), a plain unnamed one
// not (doc/task.md).
Napi::Value resources(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int n = int_arg(info, 1);
  Napi::Array out = Napi::Array::New(env, n);
  for (int i = 0; i < n; ++i) {
    auto b = napix::task(env, [i] { return i; });
    if (info[0].IsString()) b.name(info[0].As<Napi::String>().Utf8Value());
    out.Set(uint32_t(i), b.promise());
  }
  return out;
}

}  // namespace

void init_task(Napi::Env env, Napi::Object exports) {
  Napi::Object t = Napi::Object::New(env);
  napix_test::add(t, "value", value);
  napix_test::add(t, "fail", fail);
  napix_test::add(t, "andThen", and_then);
  napix_test::add(t, "many", many);
  napix_test::add(t, "blocker", blocker);
  napix_test::add(t, "release", release);
  napix_test::add(t, "reset", reset);
  napix_test::add(t, "counts", counts);
  napix_test::add(t, "counted", counted);
  napix_test::add(t, "looper", looper);
  napix_test::add(t, "signalled", signalled);
  napix_test::add(t, "andThenSignal", and_then_signal);
  napix_test::add(t, "cancel", cancel);
  napix_test::add(t, "progress", progress);
  napix_test::add(t, "als", als);
  napix_test::add(t, "sleepers", sleepers);
  napix_test::add(t, "afterExit", after_exit);
  napix_test::add(t, "fib", fib);
  napix_test::add(t, "countTo", count_to);
  napix_test::add(t, "checksum", checksum);
  napix_test::add(t, "resources", resources);
  exports.Set("task", t);
}
