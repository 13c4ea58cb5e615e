// Cross-thread building blocks (issue 17), driven by bench/run.js's "xthread" part.
// bytesToJs(design, bytes, reps) -> ns per conversion: 'napix' to_js(env, Bytes&&) (external
//   buffer), 'napix-copy' the same after set_zero_copy(false), 'copy' napi_create_buffer_copy of
//   the same bytes. The source is filled beforehand.
// persistentDrop(design, N) -> Promise<ns>: N references made on the JS thread, dropped on one
//   native thread: 'napix' N Persistents (releases batched through the environment's internal
//   Channel), 'raw' one napi_call_threadsafe_function per release (its call-js deletes the ref).
//   ns from the thread's start until the JS thread deleted the last.
// callSyncFor(fn, N, block) -> Promise<[sync ns, for ns] per call>: one native thread's 2N
//   blocking round trips fn(i), alternating blocks of `block` call_sync<double> and
//   call_sync_for<double>(10 s) calls, so both see the same state of the machine (a VM's
//   steal time swings separate runs by more than the difference being measured).
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "napix.h"

namespace {

int64_t now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Napi::Value BytesToJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string design = info[0].As<Napi::String>().Utf8Value();
  const bool napix_design = design == "napix" || design == "napix-copy";
  const std::size_t size = static_cast<std::size_t>(info[1].As<Napi::Number>().Int64Value());
  const int reps = info[2].As<Napi::Number>().Int32Value();
  int64_t total = 0;
  for (int r = 0; r < reps; ++r) {
    Napi::HandleScope scope(env);
    napix::Bytes bytes(size);
    std::memset(bytes.data(), r & 0xff, bytes.size());  // faulted in: the copy reads real pages
    if (design == "napix-copy") bytes.set_zero_copy(false);
    int64_t t0 = now();
    if (napix_design) {
      napix::to_js(env, std::move(bytes));
    } else {
      napi_value out;
      void* data;
      napi_create_buffer_copy(env, bytes.size(), bytes.data(), &data, &out);
    }
    total += now() - t0;
  }
  return Napi::Number::New(env, double(total) / reps);
}

struct DropRun {
  int remaining = 0;
  int64_t start = 0;
  Napi::Promise::Deferred done;
  explicit DropRun(Napi::Env env) : done(Napi::Promise::Deferred::New(env)) {}
  void finished(Napi::Env env) { done.Resolve(Napi::Number::New(env, double(now() - start))); }
};
std::shared_ptr<DropRun> g_drop;

void raw_release(napi_env env, napi_value, void* context, void* data) {
  if (env == nullptr) return;
  auto* run = static_cast<DropRun*>(context);
  napi_delete_reference(env, static_cast<napi_ref>(data));
  if (--run->remaining == 0) run->finished(Napi::Env(env));
}

Napi::Value PersistentDrop(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool napix_design = info[0].As<Napi::String>().Utf8Value() == "napix";
  const int n = info[1].As<Napi::Number>().Int32Value();
  auto run = std::make_shared<DropRun>(env);
  g_drop = run;
  run->remaining = n;
  Napi::Promise result = run->done.Promise();
  if (!napix_design) {
    std::vector<napi_ref> refs(n);
    for (int i = 0; i < n;) {
      Napi::HandleScope scope(env);
      for (int end = std::min(n, i + 1000); i < end; ++i) {
        napi_create_reference(env, Napi::Object::New(env), 1, &refs[i]);
      }
    }
    napi_value name;
    napi_create_string_utf8(env, "bench", NAPI_AUTO_LENGTH, &name);
    napi_threadsafe_function tsfn;
    napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, run.get(),
                                    raw_release, &tsfn);
    run->start = now();
    std::thread([tsfn, refs = std::move(refs)] {
      for (napi_ref r : refs) napi_call_threadsafe_function(tsfn, r, napi_tsfn_nonblocking);
      napi_release_threadsafe_function(tsfn, napi_tsfn_release);
    }).detach();
  } else {
    auto held = std::make_unique<std::vector<napix::Persistent<>>>();
    held->reserve(n);
    for (int i = 0; i < n;) {
      Napi::HandleScope scope(env);
      for (int end = std::min(n, i + 1000); i < end; ++i) held->emplace_back(Napi::Object::New(env));
    }
    // A marker behind the releases on the same queue (FIFO per producer): when it runs, the
    // batch before it has been deleted.
    napix::detail::CoreHandle<> internal = napix::detail::env_entry(env).channel();
    DropRun* r = run.get();
    // The internal Channel is unref'ed: this one keeps the loop alive until the marker ran.
    napix::Channel keep_alive(env);
    run->start = now();
    std::thread([held = std::move(held), internal, r, keep_alive]() mutable {
      held.reset();
      napix::detail::send_to(internal.get(), [r, keep_alive](Napi::Env env) { r->finished(env); }, true);
    }).detach();
  }
  return result;
}

Napi::Value CallSyncFor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napix::ThreadSafeCallback cb(info[0].As<Napi::Function>());
  const int n = info[1].As<Napi::Number>().Int32Value();
  const int block = info[2].As<Napi::Number>().Int32Value();
  auto [d, p] = napix::promise(env);
  napix::Channel channel(env);
  std::thread([cb, n, block, channel, d = std::move(d)]() mutable {
    int64_t spent[2] = {0, 0};
    double sum = 0;
    for (int done = 0, round = 0; done < n; done += block, ++round) {
      // Which form goes first alternates too: the first block after a switch pays the switch.
      for (int k = 0; k < 2; ++k) {
        const bool timed = (k + round) % 2 == 1;
        const int64_t t0 = now();
        for (int i = done; i < done + block && i < n; ++i) {
          sum += timed ? cb.call_sync_for<double>(std::chrono::seconds(10), i) : cb.call_sync<double>(i);
        }
        spent[timed] += now() - t0;
      }
    }
    double sync_ns = double(spent[0]) / n, for_ns = double(spent[1]) / n;
    channel.settle_with(std::move(d), [sync_ns, for_ns, sum](Napi::Env env) {
      Napi::Array a = Napi::Array::New(env, 2);
      a[uint32_t(0)] = sum >= 0 ? sync_ns : -1.0;
      a[uint32_t(1)] = for_ns;
      return a;
    });
  }).detach();
  return p;
}

}  // namespace

void init_xthread_bench(Napi::Env env, Napi::Object exports) {
  exports.Set("bytesToJs", Napi::Function::New(env, BytesToJs, "bytesToJs"));
  exports.Set("persistentDrop", Napi::Function::New(env, PersistentDrop, "persistentDrop"));
  exports.Set("callSyncFor", Napi::Function::New(env, CallSyncFor, "callSyncFor"));
}
