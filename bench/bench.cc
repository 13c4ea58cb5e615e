// The napix benchmark addon: the same scenario through raw Node-API, node-addon-api and napix.
// bench/run.js drives it; bench/README.md says what each scenario measures.
//
// Throughput (tput*): P producer threads make N calls in total of a JS function taking one
// integer. The JS function counts arrivals and calls done() on the N-th; the promise resolves
// with the ns from just before the first producer starts until then (end-to-end delivery).
// Round trip (rt*): one native thread makes M sequential blocking calls of a JS function that
// returns a number; resolves with each call's latency in ns (Float64Array).
// Memory (mem*): the JS thread starts one producer that queues N calls and joins it before
// returning (nothing drains meanwhile); resolves, once drained, with the malloc and RSS growth.
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "napix/threadsafe_callback.h"
#include "wait_counters.h"

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void* int_to_ptr(int i) { return reinterpret_cast<void*>(static_cast<intptr_t>(i)); }
int ptr_to_int(const void* p) { return static_cast<int>(reinterpret_cast<intptr_t>(p)); }

// ---------------------------------------------------------------------------------------------
// Run state: one scenario at a time, owned by the JS thread.

struct Run {
  explicit Run(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise::Deferred deferred;
  int64_t t0 = 0;
  std::vector<std::thread> threads;
  bool memory = false;
  double malloc_bytes = 0, rss_bytes = 0;
};
std::unique_ptr<Run> g_run;

Napi::Promise begin_run(std::unique_ptr<Run> run) {
  if (g_run) NAPI_THROW(Napi::Error::New(run->deferred.Env(), "a benchmark run is in progress"), Napi::Promise());
  Napi::Promise promise = run->deferred.Promise();
  g_run = std::move(run);
  return promise;
}

// done(): called by the JS target on its N-th call. No-op when no run waits for it.
Napi::Value Done(const Napi::CallbackInfo& info) {
  const int64_t end = now_ns();
  Napi::Env env = info.Env();
  if (!g_run) return env.Undefined();
  std::unique_ptr<Run> run = std::move(g_run);
  for (std::thread& t : run->threads) t.join();  // every call arrived: producers are finishing
  if (run->memory) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("mallocBytes", run->malloc_bytes);
    o.Set("rssBytes", run->rss_bytes);
    o.Set("drainNs", static_cast<double>(end - run->t0));
    run->deferred.Resolve(o);
  } else {
    run->deferred.Resolve(Napi::Number::New(env, static_cast<double>(end - run->t0)));
  }
  return env.Undefined();
}

struct Args {
  int producers;
  int calls;
  Napi::Function fn;
};

Args args(const Napi::CallbackInfo& info) {
  return {info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(),
          info[2].As<Napi::Function>()};
}

// ---------------------------------------------------------------------------------------------
// Designs. Each `make(env, fn, producers)` runs on the JS thread and returns the body of one
// producer, `body(begin, end)`, which calls the target with every integer in [begin, end).

// a. Raw Node-API: one napi_call_threadsafe_function per item, the integer carried in the data
//    pointer (no allocation: the cheapest possible use of a tsfn).
void raw_call_js(napi_env env, napi_value fn, void*, void* data) {
  if (env == nullptr) return;
  napi_value recv, argv[1];
  napi_get_undefined(env, &recv);
  napi_create_int32(env, ptr_to_int(data), &argv[0]);
  napi_call_function(env, recv, fn, 1, argv, nullptr);
}

napi_threadsafe_function raw_tsfn(Napi::Env env, Napi::Function fn, int threads,
                                  napi_threadsafe_function_call_js call_js) {
  napi_threadsafe_function tsfn = nullptr;
  napi_status s = napi_create_threadsafe_function(env, fn, nullptr, Napi::String::New(env, "bench"), 0,
                                                  static_cast<size_t>(threads), nullptr, nullptr,
                                                  nullptr, call_js, &tsfn);
  if (s != napi_ok) NAPI_THROW(Napi::Error::New(env, "napi_create_threadsafe_function failed"), nullptr);
  return tsfn;
}

struct Raw {
  static auto make(Napi::Env env, Napi::Function fn, int producers) {
    napi_threadsafe_function tsfn = raw_tsfn(env, fn, producers, raw_call_js);
    return [tsfn](int begin, int end) {
      for (int i = begin; i < end; ++i) {
        napi_call_threadsafe_function(tsfn, int_to_ptr(i), napi_tsfn_nonblocking);
      }
      napi_release_threadsafe_function(tsfn, napi_tsfn_release);
    };
  }
};

// a'. Raw Node-API with a heap int per call (how a payload that is not a pointer travels).
void raw_heap_call_js(napi_env env, napi_value fn, void*, void* data) {
  std::unique_ptr<int> i(static_cast<int*>(data));
  if (env == nullptr) return;
  napi_value recv, argv[1];
  napi_get_undefined(env, &recv);
  napi_create_int32(env, *i, &argv[0]);
  napi_call_function(env, recv, fn, 1, argv, nullptr);
}

struct RawHeap {
  static auto make(Napi::Env env, Napi::Function fn, int producers) {
    napi_threadsafe_function tsfn = raw_tsfn(env, fn, producers, raw_heap_call_js);
    return [tsfn](int begin, int end) {
      for (int i = begin; i < end; ++i) {
        napi_call_threadsafe_function(tsfn, new int(i), napi_tsfn_nonblocking);
      }
      napi_release_threadsafe_function(tsfn, napi_tsfn_release);
    };
  }
};

// b. node-addon-api ThreadSafeFunction::NonBlockingCall(lambda).
struct NaaLambda {
  static auto make(Napi::Env env, Napi::Function fn, int producers) {
    auto tsfn = Napi::ThreadSafeFunction::New(env, fn, "bench", 0, static_cast<size_t>(producers));
    return [tsfn](int begin, int end) {
      for (int i = begin; i < end; ++i) {
        tsfn.NonBlockingCall(
            [i](Napi::Env env, Napi::Function cb) { cb.Call({Napi::Number::New(env, i)}); });
      }
      tsfn.Release();
    };
  }
};

// c. node-addon-api TypedThreadSafeFunction<Context, int, CallJs>::NonBlockingCall; like (a),
//    the integer travels in the int* itself (never dereferenced).
void naa_typed_call_js(Napi::Env env, Napi::Function cb, std::nullptr_t*, int* data) {
  if (env == nullptr || cb.IsEmpty()) return;
  cb.Call({Napi::Number::New(env, ptr_to_int(data))});
}
using NaaTypedTsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, int, naa_typed_call_js>;

struct NaaTyped {
  static auto make(Napi::Env env, Napi::Function fn, int producers) {
    auto tsfn = NaaTypedTsfn::New(env, fn, "bench", 0, static_cast<size_t>(producers));
    return [tsfn](int begin, int end) {
      for (int i = begin; i < end; ++i) tsfn.NonBlockingCall(static_cast<int*>(int_to_ptr(i)));
      tsfn.Release();
    };
  }
};

// d. napix ThreadSafeCallback::call(i): the argument form.
struct NapixArgs {
  static auto make(Napi::Env, Napi::Function fn, int) {
    napix::ThreadSafeCallback cb(fn);
    return [cb](int begin, int end) {
      for (int i = begin; i < end; ++i) cb.call(i);
    };
  }
};

// d'. napix ThreadSafeCallback::call(closure): the closure form.
struct NapixClosure {
  static auto make(Napi::Env, Napi::Function fn, int) {
    napix::ThreadSafeCallback cb(fn);
    return [cb](int begin, int end) {
      for (int i = begin; i < end; ++i) {
        cb.call([i](Napi::Env env, Napi::Value self, Napi::Function f) {
          f.Call(self, {Napi::Number::New(env, i)});
        });
      }
    };
  }
};

// e. napix TypedThreadSafeCallback<void(int)>::call(i).
struct NapixTyped {
  static auto make(Napi::Env, Napi::Function fn, int) {
    napix::TypedThreadSafeCallback<void(int)> cb(fn);
    return [cb](int begin, int end) {
      for (int i = begin; i < end; ++i) cb.call(i);
    };
  }
};

// ---------------------------------------------------------------------------------------------
// Throughput

template <class Design>
Napi::Value Throughput(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Args a = args(info);
  if (g_run) NAPI_THROW(Napi::Error::New(env, "a benchmark run is in progress"), Napi::Value());
  auto run = std::make_unique<Run>(env);
  auto body = Design::make(env, a.fn, a.producers);
  run->t0 = now_ns();
  const int64_t n = a.calls, p = a.producers;
  for (int64_t k = 0; k < p; ++k) {
    run->threads.emplace_back(body, static_cast<int>(n * k / p), static_cast<int>(n * (k + 1) / p));
  }
  return begin_run(std::move(run));
}

// The limit: a C++ loop on the JS thread calling the function (no thread hop at all).
// limit(N, fn) -> elapsed ns (synchronous).
Napi::Value Limit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int n = info[0].As<Napi::Number>().Int32Value();
  napi_value fn = info[1], recv = env.Undefined();
  const int64_t t0 = now_ns();
  for (int i = 0; i < n;) {
    Napi::HandleScope scope(env);
    for (int stop = std::min(n, i + 1024); i < stop; ++i) {
      napi_value argv[1];
      napi_create_int32(env, i, &argv[0]);
      napi_call_function(env, recv, fn, 1, argv, nullptr);
    }
  }
  return Napi::Number::New(env, static_cast<double>(now_ns() - t0));
}

// ---------------------------------------------------------------------------------------------
// Round trip: rt*(M, fn) -> Promise<Float64Array of M latencies in ns>.

std::thread g_rt_thread;

template <class Body>
Napi::Value start_round_trip(Napi::Env env, int m, Body body) {
  if (g_rt_thread.joinable()) NAPI_THROW(Napi::Error::New(env, "a round-trip run is in progress"), Napi::Value());
  napix::Channel done(env);
  auto deferred = std::make_shared<Napi::Promise::Deferred>(Napi::Promise::Deferred::New(env));
  Napi::Promise promise = deferred->Promise();
  g_rt_thread = std::thread([done, deferred, m, body]() mutable {
    std::vector<double> lat(static_cast<size_t>(m));
    body(lat);
    done.send([lat = std::move(lat), deferred](Napi::Env env) {
      g_rt_thread.join();
      Napi::Float64Array arr = Napi::Float64Array::New(env, lat.size());
      std::copy(lat.begin(), lat.end(), arr.Data());
      deferred->Resolve(arr);
    });
  });
  return promise;
}

struct RtRequest {
  int i;
  std::promise<double> answer;
};

void rt_raw_call_js(napi_env env, napi_value fn, void*, void* data) {
  auto* r = static_cast<RtRequest*>(data);
  double v = std::nan("");
  if (env != nullptr) {
    napi_value recv, argv[1], result = nullptr;
    napi_get_undefined(env, &recv);
    napi_create_int32(env, r->i, &argv[0]);
    if (napi_call_function(env, recv, fn, 1, argv, &result) == napi_ok) napi_get_value_double(env, result, &v);
  }
  r->answer.set_value(v);
}

// Raw tsfn + std::promise/std::future per call.
Napi::Value RtRaw(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int m = info[0].As<Napi::Number>().Int32Value();
  napi_threadsafe_function tsfn = raw_tsfn(env, info[1].As<Napi::Function>(), 1, rt_raw_call_js);
  return start_round_trip(env, m, [tsfn](std::vector<double>& lat) {
    double sink = 0;
    for (size_t k = 0; k < lat.size(); ++k) {
      RtRequest r{static_cast<int>(k), {}};
      std::future<double> f = r.answer.get_future();
      const int64_t t0 = now_ns();
      napi_call_threadsafe_function(tsfn, &r, napi_tsfn_blocking);
      sink += f.get();
      lat[k] = static_cast<double>(now_ns() - t0);
    }
    napi_release_threadsafe_function(tsfn, napi_tsfn_release);
    if (std::isnan(sink)) std::fputs("bench: a round trip got NaN\n", stderr);
  });
}

// How the last napix round-trip run's waits went (napix::detail::wait_counters() of its thread):
// rtWaitCounters() -> {spinsHit, spinsMissed, blockedAtOnce, sleeps}.
napix::detail::WaitCounters g_rt_counters{};

template <class F>
void counting_waits(F&& f) {
  const napix::detail::WaitCounters before = napix::detail::wait_counters();
  f();
  const napix::detail::WaitCounters& after = napix::detail::wait_counters();
  g_rt_counters = {after.spins_hit - before.spins_hit, after.spins_missed - before.spins_missed,
                   after.blocked_at_once - before.blocked_at_once, after.sleeps - before.sleeps};
}

Napi::Value RtWaitCounters(const Napi::CallbackInfo& info) {
  return wait_counters_to_js(info.Env(), g_rt_counters);
}

// napix ThreadSafeCallback::call_sync<double>(i).
Napi::Value RtNapix(const Napi::CallbackInfo& info) {
  napix::ThreadSafeCallback cb(info[1].As<Napi::Function>());
  return start_round_trip(info.Env(), info[0].As<Napi::Number>().Int32Value(),
                          [cb](std::vector<double>& lat) {
                            double sink = 0;
                            counting_waits([&] {
                              for (size_t k = 0; k < lat.size(); ++k) {
                                const int64_t t0 = now_ns();
                                sink += cb.call_sync<double>(static_cast<int>(k));
                                lat[k] = static_cast<double>(now_ns() - t0);
                              }
                            });
                            if (std::isnan(sink)) std::fputs("bench: a round trip got NaN\n", stderr);
                          });
}

// napix TypedThreadSafeCallback<double(int)>::call_sync(i).
Napi::Value RtNapixTyped(const Napi::CallbackInfo& info) {
  napix::TypedThreadSafeCallback<double(int)> cb(info[1].As<Napi::Function>());
  return start_round_trip(info.Env(), info[0].As<Napi::Number>().Int32Value(),
                          [cb](std::vector<double>& lat) {
                            double sink = 0;
                            counting_waits([&] {
                              for (size_t k = 0; k < lat.size(); ++k) {
                                const int64_t t0 = now_ns();
                                sink += cb.call_sync(static_cast<int>(k));
                                lat[k] = static_cast<double>(now_ns() - t0);
                              }
                            });
                            if (std::isnan(sink)) std::fputs("bench: a round trip got NaN\n", stderr);
                          });
}

// ---------------------------------------------------------------------------------------------
// Memory per queued call: mem*(N, fn) -> Promise<{mallocBytes, rssBytes, drainNs}>, resolved by
// done() once the JS target has had all N calls. The growth is measured right after the producer
// is joined, while all N calls wait in the queue (the JS thread was blocked the whole time).

struct MemSnapshot {
  double malloc_bytes;  // bytes in use by malloc: every arena's in-use chunks + mmapped chunks
  double rss_bytes;
};

MemSnapshot mem_snapshot() {
  struct mallinfo2 mi = mallinfo2();
  long resident = 0, size = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return {static_cast<double>(mi.uordblks + mi.hblkhd),
          static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE))};
}

template <class Design>
Napi::Value Memory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int n = info[0].As<Napi::Number>().Int32Value();
  if (g_run) NAPI_THROW(Napi::Error::New(env, "a benchmark run is in progress"), Napi::Value());
  auto run = std::make_unique<Run>(env);
  run->memory = true;
  auto body = Design::make(env, info[1].As<Napi::Function>(), 1);
  malloc_trim(0);  // give freed pages back so the RSS growth below is this run's
  const MemSnapshot before = mem_snapshot();
  std::thread(body, 0, n).join();
  const MemSnapshot after = mem_snapshot();
  run->malloc_bytes = after.malloc_bytes - before.malloc_bytes;
  run->rss_bytes = after.rss_bytes - before.rss_bytes;
  run->t0 = now_ns();
  return begin_run(std::move(run));
}

// coreRoundTrip(n): ns for one cache line to go to another CPU and back, two threads pinned to
// two CPUs passing a counter n times (median of 5 bursts). Every cross-thread design pays this
// per handoff, and on the bench VM it moved between runs (147-651 ns measured): the report prints
// it per part, beside the cross-thread rows it bears on (bench/README.md, "Reading the numbers").
Napi::Value CoreRoundTrip(const Napi::CallbackInfo& info) {
  const int n = info[0].IsNumber() ? std::max(1, info[0].As<Napi::Number>().Int32Value()) : 20000;
  std::vector<int> cpus;
#ifdef __linux__
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0) {
    for (int c = 0; c < CPU_SETSIZE && cpus.size() < 2; ++c)
      if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  }
#endif
  if (cpus.size() < 2) return info.Env().Null();
  auto pin = [](int cpu) {
#ifdef __linux__
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    pthread_setaffinity_np(pthread_self(), sizeof s, &s);
#endif
  };
  std::vector<double> bursts;
  for (int rep = 0; rep < 5; ++rep) {
    alignas(64) std::atomic<int> ping{0};
    alignas(64) std::atomic<int> pong{0};
    double ns = 0;
    std::thread echo([&] {
      pin(cpus[1]);
      for (int i = 1; i <= n; ++i) {
        while (ping.load(std::memory_order_acquire) != i) {}
        pong.store(i, std::memory_order_release);
      }
    });
    std::thread caller([&] {
      pin(cpus[0]);
      const int64_t t0 = now_ns();
      for (int i = 1; i <= n; ++i) {
        ping.store(i, std::memory_order_release);
        while (pong.load(std::memory_order_acquire) != i) {}
      }
      ns = static_cast<double>(now_ns() - t0) / n;
    });
    caller.join();
    echo.join();
    bursts.push_back(ns);
  }
  std::sort(bursts.begin(), bursts.end());
  return Napi::Number::New(info.Env(), bursts[bursts.size() / 2]);
}

}  // namespace

void init_promise_bench(Napi::Env env, Napi::Object exports);  // promise.cc
void init_task_bench(Napi::Env env, Napi::Object exports);     // task.cc
void init_xthread_bench(Napi::Env env, Napi::Object exports);  // xthread.cc
void init_function_bench(Napi::Env env, Napi::Object exports); // function.cc
void init_stream_bench(Napi::Env env, Napi::Object exports);   // stream.cc
void init_reader_bench(Napi::Env env, Napi::Object exports);   // reader.cc

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto def = [&](const char* name, Napi::Function::Callback cb) {
    exports.Set(name, Napi::Function::New(env, cb, name));
  };
  def("done", Done);
  def("limit", Limit);
  def("coreRoundTrip", CoreRoundTrip);
  def("tputRaw", Throughput<Raw>);
  def("tputNaaLambda", Throughput<NaaLambda>);
  def("tputNaaTyped", Throughput<NaaTyped>);
  def("tputNapixArgs", Throughput<NapixArgs>);
  def("tputNapixClosure", Throughput<NapixClosure>);
  def("tputNapixTyped", Throughput<NapixTyped>);
  def("rtRaw", RtRaw);
  def("rtNapix", RtNapix);
  def("rtNapixTyped", RtNapixTyped);
  def("rtWaitCounters", RtWaitCounters);
  def("memRaw", Memory<Raw>);
  def("memRawHeap", Memory<RawHeap>);
  def("memNaaLambda", Memory<NaaLambda>);
  def("memNapixArgs", Memory<NapixArgs>);
  def("memNapixClosure", Memory<NapixClosure>);
  def("memNapixTyped", Memory<NapixTyped>);
  init_promise_bench(env, exports);
  init_task_bench(env, exports);
  init_xthread_bench(env, exports);
  init_function_bench(env, exports);
  init_stream_bench(env, exports);
  init_reader_bench(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(napix_bench, Init)
