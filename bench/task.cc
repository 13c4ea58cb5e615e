// Task benchmarks (issue 5), driven by bench/run.js's "task" part. Every design runs the same
// trivial task — execute computes 2 * i on the libuv pool, completion resolves a promise with it.
// taskBatch(design, N) -> Promise<ns>: N tasks queued at once from one JS call; resolves with the
//   ns from the first queue until the N-th promise was resolved (counted in C++, so no JS
//   Promise.all cost is added to any design).
// taskOne(design, i) -> Promise<2i>: one task, for the sequential (await each) latency.
#include <chrono>
#include <cstdint>

#include "napix/task.h"
#include "wait_counters.h"

namespace {

int64_t now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The batch in progress (JS thread only; one at a time).
struct Batch {
  int remaining = 0;
  int64_t start = 0;
  napi_deferred done = nullptr;
  void one(napi_env env) {
    if (--remaining != 0) return;
    napi_value v;
    napi_create_double(env, double(now() - start), &v);
    napi_resolve_deferred(env, done, v);
    done = nullptr;
  }
};
Batch g_batch;

// --- raw Node-API: one napi_async_work and one napi_deferred per task -----------------------

struct RawTask {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  int in = 0;
  double out = 0;
  bool batch = false;
};

void raw_execute(napi_env, void* data) {
  auto* t = static_cast<RawTask*>(data);
  t->out = 2.0 * t->in;
}

void raw_complete(napi_env env, napi_status, void* data) {
  auto* t = static_cast<RawTask*>(data);
  napi_value v;
  napi_create_double(env, t->out, &v);
  napi_resolve_deferred(env, t->deferred, v);
  napi_delete_async_work(env, t->work);
  if (t->batch) g_batch.one(env);
  delete t;
}

napi_value raw_start(napi_env env, int i, bool batch) {
  auto* t = new RawTask{nullptr, nullptr, i, 0, batch};
  napi_value promise, name;
  napi_create_promise(env, &t->deferred, &promise);
  napi_create_string_utf8(env, "bench", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, nullptr, name, raw_execute, raw_complete, t, &t->work);
  napi_queue_async_work(env, t->work);
  return promise;
}

// --- node-addon-api: Napi::AsyncWorker + Promise::Deferred ----------------------------------

class NaaTask : public Napi::AsyncWorker {
 public:
  NaaTask(Napi::Env env, int i, bool batch)
      : Napi::AsyncWorker(env, "bench"), deferred_(Napi::Promise::Deferred::New(env)), in_(i), batch_(batch) {}
  Napi::Promise promise() const { return deferred_.Promise(); }
  void Execute() override { out_ = 2.0 * in_; }
  void OnOK() override {
    deferred_.Resolve(Napi::Number::New(Env(), out_));
    if (batch_) g_batch.one(Env());
  }

 private:
  Napi::Promise::Deferred deferred_;
  int in_;
  double out_ = 0;
  bool batch_;
};

napi_value naa_start(Napi::Env env, int i, bool batch) {
  auto* w = new NaaTask(env, i, batch);  // deletes itself after OnOK
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

// --- napix: task().promise(complete) ----------------------------------------------------------

napi_value napix_start(Napi::Env env, int i, bool batch) {
  auto b = napix::task(env, [i] { return 2.0 * i; });
  if (!batch) return b.promise();
  return b.promise([](Napi::Env e, double v) {
    g_batch.one(e);
    return v;
  });
}

using Start = napi_value (*)(Napi::Env, int, bool);
Start pick(const Napi::CallbackInfo& info) {
  std::string d = info[0].As<Napi::String>().Utf8Value();
  if (d == "raw") return [](Napi::Env env, int i, bool batch) { return raw_start(env, i, batch); };
  if (d == "naa") return naa_start;
  return napix_start;
}

Napi::Value TaskBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Start start = pick(info);
  int n = info[1].As<Napi::Number>().Int32Value();
  napi_value done;
  napi_create_promise(env, &g_batch.done, &done);
  g_batch.remaining = n;
  g_batch.start = now();
  for (int i = 0; i < n;) {
    Napi::HandleScope scope(env);
    for (int end = std::min(n, i + 1000); i < end; ++i) start(env, i, true);
  }
  return Napi::Value(env, done);
}

Napi::Value TaskOne(const Napi::CallbackInfo& info) {
  return Napi::Value(info.Env(), pick(info)(info.Env(), info[1].As<Napi::Number>().Int32Value(), false));
}

// taskLingerCounters() -> how napix's lingering runners waited so far (cumulative).
Napi::Value TaskLingerCounters(const Napi::CallbackInfo& info) {
  return wait_counters_to_js(info.Env(), napix::detail::env_entry(info.Env()).task_pool()->linger_counters());
}

}  // namespace

void init_task_bench(Napi::Env env, Napi::Object exports) {
  exports.Set("taskBatch", Napi::Function::New(env, TaskBatch, "taskBatch"));
  exports.Set("taskOne", Napi::Function::New(env, TaskOne, "taskOne"));
  exports.Set("taskLingerCounters", Napi::Function::New(env, TaskLingerCounters, "taskLingerCounters"));
}
