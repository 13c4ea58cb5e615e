// host-functions — a native "engine" on its own std::thread that calls JavaScript host functions
// and blocks until they answer, the way an embedded interpreter or a simulation calls back into
// its host.
//
//   runEngine(items, { quantity, price, log }) -> Promise<number>
//
// For each item the engine asks quantity(item) (a plain JS function) and price(item) (an async
// JS function: call_sync waits until its promise settles), reports log(item, qty, price) without
// waiting, and finally resolves with the sum of quantity * price. A host function that throws or
// rejects makes the promise reject with that error.
#include <napix.h>

#include <exception>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

// The signature is fixed at compile time: arguments are stored without type erasure and the
// answer is converted by from_js<double> (a non-number answer is a TypeError in the engine).
using AskHost = napix::TypedThreadSafeCallback<double(std::string)>;

Napi::Value run_engine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto items = napix::from_js<std::vector<std::string>>(info[0]);
  auto hosts = napix::from_js<Napi::Object>(info[1]);
  auto host = [&](const char* name) { return napix::from_js<Napi::Function>(hosts.Get(name)); };

  // All made on the JS thread; the engine thread gets copies.
  AskHost quantity(host("quantity"));
  AskHost price(host("price"));
  napix::ThreadSafeCallback log(host("log"));
  auto [deferred, promise] = napix::promise(env);

  std::thread([items = std::move(items), quantity, price, log,
               deferred = std::move(deferred)]() mutable {
    napix::Result<double> total = 0.0;
    try {
      double sum = 0;
      for (const std::string& item : items) {
        double qty = quantity.call_sync(item);  // blocks this thread, never the JS thread
        double each = price.call_sync(item);    // async in JS: waits for the promise to settle
        log.call(item, qty, each);              // fire-and-forget: no waiting for JS
        sum += qty * each;
      }
      total = sum;
    } catch (const napix::JsError& e) {
      total = e.to_error();  // a host threw or rejected: its name, message and code, as strings
    } catch (const std::exception& e) {
      total = napix::Error(e.what());  // e.g. napix::ClosingError: the environment is going away
    }
    // log's own queue: every log call above runs before the promise settles.
    log.channel().settle_with(std::move(deferred), [total](Napi::Env) { return total; });
  }).detach();  // safe: the thread holds only napix handles and plain values

  return promise;
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("runEngine", Napi::Function::New(env, run_engine, "runEngine"));
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, init)
