// The C++ blocks of doc/getting-started.md, doc/migration.md and doc/threading.md, copied here
// verbatim (test/docs.test.js checks it), so `npm test` compiles them in both exception modes and
// test/docs.test.js runs them. Blocks that need C++ exceptions sit under `#if NAPIX_EXCEPTIONS`.
// The node-addon-api blocks of doc/migration.md (fenced `cpp node-addon-api`) are not here.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common.h"

namespace doc_guides {

// ---- doc/getting-started.md ----

#if NAPIX_EXCEPTIONS
// greet("Ada", 2) -> ["Hello, Ada!", "Hello, Ada!"]
// greet(42, 2) throws TypeError "expected string, got number"; greet("Ada", -1) a RangeError.
Napi::Value greet(const Napi::CallbackInfo& info) {
  auto name = napix::from_js<std::string>(info[0]);
  auto times = napix::from_js<std::uint32_t>(info[1]);
  std::vector<std::string> greetings(times, "Hello, " + name + "!");
  return napix::to_js(info.Env(), greetings);  // an Array of strings
}
#endif

// tick(3, fn): fn(1), fn(2), fn(3), called from a native thread.
Napi::Value tick(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  napix::ThreadSafeCallback on_tick(info[1].As<Napi::Function>());  // made on the JS thread
  std::thread([n, on_tick] {                                        // a copy goes to the thread
    for (int i = 1; i <= n; ++i) on_tick.call(i);  // `i` becomes a JS number on the JS thread
  }).detach();  // the thread's copy dies with it; then the process may exit
  return info.Env().Undefined();
}

// slowSqrt(x) -> Promise<number>: computed on a native thread; rejects with a RangeError for x < 0.
Napi::Value slow_sqrt(const Napi::CallbackInfo& info) {
  double x = info[0].As<Napi::Number>().DoubleValue();
  auto [deferred, promise] = napix::promise(info.Env());
  napix::Channel channel(info.Env());
  std::thread([channel, x, deferred = std::move(deferred)]() mutable {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the slow part
    channel.settle_with(std::move(deferred), [x](Napi::Env) -> napix::Result<double> {
      if (x < 0) return napix::Error::range_error("x must not be negative");
      return std::sqrt(x);  // runs on the JS thread; the value is converted by to_js
    });
  }).detach();
  return promise;
}

// countPrimes(limit) -> Promise<number>: the primes below `limit`, counted on the libuv pool.
Napi::Value count_primes(const Napi::CallbackInfo& info) {
  std::uint32_t limit = info[0].As<Napi::Number>().Uint32Value();
  return napix::task(info.Env(), [limit] {  // runs on a pool thread: no JS values in here
           std::uint32_t count = 0;
           for (std::uint32_t n = 2; n < limit; ++n) {
             bool prime = true;
             for (std::uint32_t d = 2; d * d <= n && prime; ++d) prime = n % d != 0;
             count += prime;
           }
           return count;
         })
      .promise();
}

#if NAPIX_EXCEPTIONS
// Registers greet, so it needs exceptions too; init_doc_guides calls it to build `guides`.
Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("greet", Napi::Function::New(env, greet, "greet"));
  exports.Set("tick", Napi::Function::New(env, tick, "tick"));
  exports.Set("slowSqrt", Napi::Function::New(env, slow_sqrt, "slowSqrt"));
  exports.Set("countPrimes", Napi::Function::New(env, count_primes, "countPrimes"));
  return exports;
}
#endif

// ---- doc/migration.md ----

// startTicker(n, fn): fn(1) … fn(n), called from a native thread.
Napi::Value start_ticker(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  napix::ThreadSafeCallback on_tick(info[1].As<Napi::Function>());
  std::thread([n, on_tick] {
    for (int i = 1; i <= n; ++i) {
      if (on_tick.call(i) == napix::Status::closing) return;  // the environment is gone
    }
  }).detach();  // the thread's copy of on_tick is its reference; it goes with the thread
  return info.Env().Undefined();
}

// watchSensors(fn): fn("temperature", 20), fn("temperature", 20.1), … from a native thread.
Napi::Value watch_sensors(const Napi::CallbackInfo& info) {
  napix::TypedThreadSafeCallback<void(std::string, double)> on_reading(
      info[0].As<Napi::Function>());
  std::thread([on_reading] {
    for (int i = 0; i < 100; ++i) {
      if (on_reading.call("temperature", 20.0 + i / 10.0) != napix::Status::ok) return;
    }
  }).detach();
  return info.Env().Undefined();
}

// The work: the smallest prime factor of n, or an Error to reject with.
napix::Result<std::int64_t> smallest_factor_of(std::int64_t n) {
  if (n < 2) return napix::Error::range_error("n must be at least 2");
  for (std::int64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return d;
  }
  return n;
}

// smallestFactor(n) -> Promise<number>; rejects with a RangeError for n < 2.
Napi::Value smallest_factor(const Napi::CallbackInfo& info) {
  std::int64_t n = info[0].As<Napi::Number>().Int64Value();
  return napix::task(info.Env(), [n] { return smallest_factor_of(n); }).promise();
}

// smallestFactorCb(n, callback): callback(null, factor) or callback(error), node style.
Napi::Value smallest_factor_cb(const Napi::CallbackInfo& info) {
  std::int64_t n = info[0].As<Napi::Number>().Int64Value();
  auto callback = std::make_shared<Napi::FunctionReference>(
      Napi::Persistent(info[1].As<Napi::Function>()));
  napix::task(info.Env(), [n] { return smallest_factor_of(n); })
      .and_then([callback](Napi::Env env, napix::Result<std::int64_t> factor) {
        if (factor) {
          callback->Call({env.Null(), napix::to_js(env, *factor)});
        } else {
          callback->Call({napix::to_js_error(env, factor.error()).Value()});
        }
      });
  return info.Env().Undefined();
}

// scan(n, onProgress) -> Promise<number>: onProgress(100), onProgress(200), …, then resolves n.
Napi::Value scan(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  return napix::task(info.Env(), [n](napix::TaskContext& ctx) {
           for (int i = 1; i <= n; ++i) {
             if (i % 100 == 0) ctx.progress(i);  // any value to_js takes; none is dropped
           }
           return n;
         })
      .on_progress(info[1].As<Napi::Function>())
      .promise();
}

// textLength(text) -> Promise<number>; rejects with a TypeError for "".
Napi::Value text_length(const Napi::CallbackInfo& info) {
  auto [deferred, promise] = napix::promise(info.Env());
  std::string text = info[0].As<Napi::String>().Utf8Value();
  if (text.empty()) {
    deferred.reject(napix::Error::type_error("empty text"));
  } else {
    deferred.resolve(text.size());  // anything to_js takes
  }
  return promise;
}

// readSensor(id) -> Promise<number>, settled from a native thread. A thread that gives up
// without settling still rejects the promise (ERR_NAPIX_DEFERRED_DROPPED).
Napi::Value read_sensor(const Napi::CallbackInfo& info) {
  int id = info[0].As<Napi::Number>().Int32Value();
  auto [deferred, promise] = napix::promise(info.Env());
  napix::Channel channel(info.Env());
  std::thread([channel, id, deferred = std::move(deferred)]() mutable {
    if (id < 0) return;  // gives up: `deferred` is destroyed with the closure
    double value = 20.0 + id;
    channel.settle_with(std::move(deferred), [value](Napi::Env) { return value; });
  }).detach();
  return promise;
}

// Up to 10 s of work in 1 ms slices; stops early once cancelled.
int crunch(napix::TaskContext& ctx) {
  int slices = 0;
  while (slices < 10000 && !ctx.cancelled()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a slice of work
    ++slices;
  }
  return slices;  // after a cancel this value is discarded: the promise already rejected
}

// crunchUntil(signal) -> Promise<number>; signal.abort() rejects it with signal.reason.
Napi::Value crunch_until(const Napi::CallbackInfo& info) {
  return napix::task(info.Env(), crunch).signal(info[0]).promise();
}

// startCrunch() -> {promise, cancel}: cancel() rejects the promise with an AbortError.
Napi::Value start_crunch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto [handle, promise] = napix::task(env, crunch).cancellable_promise();
  Napi::Object out = Napi::Object::New(env);
  out.Set("promise", promise);
  out.Set("cancel", Napi::Function::New(env, [handle = handle](const Napi::CallbackInfo&) {
            handle.cancel();
          }));
  return out;
}

// ---- doc/threading.md ----

// report(n, onValue) -> Promise<number>: onValue(0) … onValue(n - 1) from a native thread; the
// promise resolves after the last of them ran, because channel() shares the callback's queue.
Napi::Value report(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  napix::ThreadSafeCallback on_value(info[1].As<Napi::Function>());
  auto [deferred, promise] = napix::promise(info.Env());
  std::thread([n, on_value, deferred = std::move(deferred)]() mutable {
    for (int i = 0; i < n; ++i) on_value.call(i);
    on_value.channel().settle_with(std::move(deferred), [n](Napi::Env) { return n; });
  }).detach();
  return promise;
}

// twoInOneBatch(fn): fn("a") and fn("b") are queued before the JS thread can drain the queue, so
// they run in one batch: a promise reaction queued by fn("a") runs after fn("b").
Napi::Value two_in_one_batch(const Napi::CallbackInfo& info) {
  napix::ThreadSafeCallback fn(info[0].As<Napi::Function>());
  fn.call(std::string("a"));
  fn.call(std::string("b"));
  return info.Env().Undefined();
}

}  // namespace doc_guides

void init_doc_guides(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
#if NAPIX_EXCEPTIONS
  doc_guides::init(env, o);  // the page's own registration: greet, tick, slowSqrt, countPrimes
#else
  napix_test::add(o, "tick", doc_guides::tick);
  napix_test::add(o, "slowSqrt", doc_guides::slow_sqrt);
  napix_test::add(o, "countPrimes", doc_guides::count_primes);
#endif
  napix_test::add(o, "startTicker", doc_guides::start_ticker);
  napix_test::add(o, "watchSensors", doc_guides::watch_sensors);
  napix_test::add(o, "smallestFactor", doc_guides::smallest_factor);
  napix_test::add(o, "smallestFactorCb", doc_guides::smallest_factor_cb);
  napix_test::add(o, "scan", doc_guides::scan);
  napix_test::add(o, "textLength", doc_guides::text_length);
  napix_test::add(o, "readSensor", doc_guides::read_sensor);
  napix_test::add(o, "crunchUntil", doc_guides::crunch_until);
  napix_test::add(o, "startCrunch", doc_guides::start_crunch);
  napix_test::add(o, "report", doc_guides::report);
  napix_test::add(o, "twoInOneBatch", doc_guides::two_in_one_batch);
  exports.Set("guides", o);
}
