// Promise benchmarks (issue 4), driven by bench/run.js's "promise" part.
// promiseCreate(design, N) -> ns: N x (create a promise + resolve it with a number) on the JS
//   thread, one HandleScope per 1,000 for every design.
// promiseCross(design, N) -> Promise<ns>: N promises made on the JS thread, then one native
//   thread settles them all; ns from the thread's start until the JS thread settled the last.
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "napix/promise.h"

namespace {

int64_t now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Napi::Value PromiseCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string design = info[0].As<Napi::String>().Utf8Value();
  const int mode = design == "raw" ? 0 : design == "naa" ? 1 : 2;
  int n = info[1].As<Napi::Number>().Int32Value();
  int64_t t0 = now();
  for (int i = 0; i < n;) {
    Napi::HandleScope scope(env);
    for (int end = std::min(n, i + 1000); i < end; ++i) {
      if (mode == 0) {
        napi_deferred d;
        napi_value p, v;
        napi_create_promise(env, &d, &p);
        napi_create_double(env, i, &v);
        napi_resolve_deferred(env, d, v);
      } else if (mode == 1) {
        Napi::Promise::Deferred d = Napi::Promise::Deferred::New(env);
        d.Resolve(Napi::Number::New(env, i));
      } else {
        auto [d, p] = napix::promise(env);
        d.resolve(double(i));
      }
    }
  }
  return Napi::Number::New(env, double(now() - t0));
}

struct CrossRun {
  int remaining = 0;
  int64_t start = 0;
  Napi::Promise::Deferred done;
  explicit CrossRun(Napi::Env env) : done(Napi::Promise::Deferred::New(env)) {}
  void settled_one(Napi::Env env) {
    if (--remaining == 0) done.Resolve(Napi::Number::New(env, double(now() - start)));
  }
};

void raw_settle(napi_env env, napi_value, void* context, void* data) {
  if (env == nullptr) return;
  auto* run = static_cast<CrossRun*>(context);
  napi_value v;
  napi_create_double(env, 1, &v);
  napi_resolve_deferred(env, static_cast<napi_deferred>(data), v);
  run->settled_one(Napi::Env(env));
}

// Kept alive until the next run, so closures may hold a plain pointer like raw's tsfn context
// (a shared_ptr per closure would add an atomic bounced between the two threads to napix only).
std::shared_ptr<CrossRun> g_cross;

Napi::Value PromiseCross(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string design = info[0].As<Napi::String>().Utf8Value();
  int n = info[1].As<Napi::Number>().Int32Value();
  auto run = std::make_shared<CrossRun>(env);
  g_cross = run;
  run->remaining = n;
  Napi::Promise result = run->done.Promise();
  if (design == "raw") {
    std::vector<napi_deferred> ds(n);
    for (int i = 0; i < n; ++i) {
      Napi::HandleScope scope(env);
      napi_value p;
      napi_create_promise(env, &ds[i], &p);
    }
    napi_value name;
    napi_create_string_utf8(env, "bench", NAPI_AUTO_LENGTH, &name);
    napi_threadsafe_function tsfn;
    napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, run.get(),
                                    raw_settle, &tsfn);
    run->start = now();
    std::thread([tsfn, ds = std::move(ds), run] {
      for (napi_deferred d : ds) napi_call_threadsafe_function(tsfn, d, napi_tsfn_nonblocking);
      napi_release_threadsafe_function(tsfn, napi_tsfn_release);
    }).detach();
  } else {
    auto ds = std::make_shared<std::vector<napix::Deferred>>();
    ds->reserve(n);
    for (int i = 0; i < n; ++i) {
      Napi::HandleScope scope(env);
      ds->push_back(napix::promise(env).first);
    }
    napix::Channel channel(env);
    run->start = now();
    CrossRun* r = run.get();
    std::thread([channel, ds, r] {
      for (napix::Deferred& d : *ds) {
        channel.settle_with(std::move(d), [r](Napi::Env env) {
          r->settled_one(env);
          return 1.0;
        });
      }
    }).detach();
  }
  return result;
}

}  // namespace

void init_promise_bench(Napi::Env env, Napi::Object exports) {
  exports.Set("promiseCreate", Napi::Function::New(env, PromiseCreate, "promiseCreate"));
  exports.Set("promiseCross", Napi::Function::New(env, PromiseCross, "promiseCross"));
}
