// settle-from-thread — promises made on the JS thread and settled from a std::thread, and what
// happens to a promise whose Deferred is dropped without being settled.
//
//   sumOnThread(n) -> Promise<number>   1 + 2 + ... + n, computed and settled from a std::thread
//   failOnThread(msg) -> Promise        rejected from a std::thread with a RangeError(msg)
//   dropOnThread() -> Promise           its Deferred is destroyed unsettled on a std::thread
//   dropNow() -> Promise                its Deferred is destroyed unsettled right here
// A dropped Deferred rejects its promise with an Error whose code is ERR_NAPIX_DEFERRED_DROPPED,
// so a forgotten settle is a visible error instead of a promise pending forever.
#include <napix.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>

namespace {

Napi::Value sum_on_thread(const Napi::CallbackInfo& info) {
  auto n = napix::from_js<std::uint32_t>(info[0]);
  auto [deferred, promise] = napix::promise(info.Env());  // JS thread only
  napix::Channel channel(info.Env());  // keeps the event loop alive until its copies are gone

  // A Deferred is move-only and may travel to any thread; only settling happens on the JS thread,
  // which is what Channel::settle_with arranges.
  std::thread([channel, n, deferred = std::move(deferred)]() mutable {
    std::uint64_t sum = 0;
    for (std::uint32_t i = 1; i <= n; ++i) sum += i;
    // The closure runs on the JS thread; what it returns resolves the promise (via to_js).
    channel.settle_with(std::move(deferred), [sum](Napi::Env) { return sum; });
  }).detach();  // safe: the thread holds only napix handles and plain values
  return promise;
}

Napi::Value fail_on_thread(const Napi::CallbackInfo& info) {
  auto message = napix::from_js<std::string>(info[0]);
  auto [deferred, promise] = napix::promise(info.Env());
  napix::Channel channel(info.Env());
  std::thread([channel, message, deferred = std::move(deferred)]() mutable {
    // An error Result (or a thrown exception) rejects the promise; the napix::Error becomes a
    // real JS RangeError with its code on the JS thread.
    channel.settle_with(std::move(deferred), [message](Napi::Env) -> napix::Result<double> {
      return napix::Error::range_error(message);
    });
  }).detach();
  return promise;
}

Napi::Value drop_on_thread(const Napi::CallbackInfo& info) {
  auto [deferred, promise] = napix::promise(info.Env());
  // napix delivers the rejection through an internal queue that does not keep the event loop
  // alive; this Channel copy does, until the thread has dropped the Deferred.
  napix::Channel keep_alive(info.Env());
  std::thread([keep_alive, deferred = std::move(deferred)]() mutable {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    napix::Deferred forgotten = std::move(deferred);
    // Oops: never settled. Its destructor, on this thread, queues the rejection to the JS thread.
  }).detach();
  return promise;
}

Napi::Value drop_now(const Napi::CallbackInfo& info) {
  auto [deferred, promise] = napix::promise(info.Env());
  (void)deferred;  // destroyed unsettled at the end of this scope: the promise rejects at once
  return promise;
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("sumOnThread", Napi::Function::New(env, sum_on_thread, "sumOnThread"));
  exports.Set("failOnThread", Napi::Function::New(env, fail_on_thread, "failOnThread"));
  exports.Set("dropOnThread", Napi::Function::New(env, drop_on_thread, "dropOnThread"));
  exports.Set("dropNow", Napi::Function::New(env, drop_now, "dropNow"));
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, init)
