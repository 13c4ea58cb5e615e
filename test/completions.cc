// Test functions for API.md's "Small completions": to_js(env, napix::Error),
// Channel::try_settle_with, ThreadSafeCallback::call_error_first.
#include <memory>
#include <string>

#include "common.h"

namespace {

using napix::Deferred;
using napix::Status;
using napix_test::state;

// errorToJs(name, message, code): to_js of a napix::Error.
Napi::Value error_to_js(const Napi::CallbackInfo& info) {
  napix::Error e(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value(),
                 info[2].As<Napi::String>().Utf8Value());
  return napix::to_js(info.Env(), e);
}

// trySettle(kind): try_settle_with on a bounded (1) queue that is empty ('ok'), full
// ('queue_full': a closure queued on this JS thread, which cannot drain while it runs here),
// aborted ('closing'), or the full queue of a typed callback's channel() ('typed_full').
// Returns {status, held, promise}: `held` says whether the Deferred stayed with the caller; a
// kept Deferred is then resolved with "kept by caller", so the promise shows who settled it.
Napi::Value try_settle(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  napix::ChannelOptions options;
  options.max_queue = 1;
  napix::Channel channel(env, options);
  if (kind == "typed_full") {
    Napi::Function fn = Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return i.Env().Undefined(); });
    channel = napix::TypedThreadSafeCallback<void(int)>(fn, options).channel();
  }
  if (kind == "queue_full" || kind == "typed_full") channel.try_send([](Napi::Env) {});
  if (kind == "closing") channel.abort();
  auto [d, p] = napix::promise(env);
  Status s = channel.try_settle_with(d, [](Napi::Env) { return std::string("settled by closure"); });
  Napi::Object out = Napi::Object::New(env);
  out.Set("status", napix::to_string(s));
  out.Set("held", !d.settled());
  if (!d.settled()) d.resolve(std::string("kept by caller"));
  out.Set("promise", p);
  return out;
}

// trySettleFromThread(): a native thread's try_settle_with on a full bounded queue (this JS
// thread holds it full while it joins the thread), then on the drained queue once JS ran.
Napi::Value try_settle_from_thread(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napix::ChannelOptions options;
  options.max_queue = 1;
  napix::Channel channel(env, options);
  channel.try_send([](Napi::Env) {});
  auto made = napix::promise(env);
  Deferred& d = made.first;
  Napi::Promise p = made.second;
  auto first = std::make_shared<Status>(Status::ok);
  auto held = std::make_shared<bool>(false);
  std::thread([&, first, held] {
    *first = channel.try_settle_with(d, [](Napi::Env) { return 1; });
    *held = !d.settled();
  }).join();
  Napi::Object out = Napi::Object::New(env);
  out.Set("first", napix::to_string(*first));
  out.Set("held", *held);
  // Later, once the queue drained: the same Deferred, sent again from a thread.
  state(env).spawn([channel, d = std::move(d)]() mutable {
    while (channel.try_settle_with(d, [](Napi::Env) { return 2; }) == Status::queue_full) {
      std::this_thread::yield();
    }
  });
  out.Set("promise", p);
  return out;
}

// errorFirst(fn, kind): a native thread calls fn error-first with a Result<int> value ('value'),
// an error ('error'), a Result<void> ('void') or a Result<std::string> ('string').
Napi::Value error_first(const Napi::CallbackInfo& info) {
  napix::ThreadSafeCallback cb(info[0].As<Napi::Function>());
  std::string kind = info[1].As<Napi::String>().Utf8Value();
  state(info.Env()).spawn([cb, kind] {
    Status s = Status::closing;
    if (kind == "value") s = cb.call_error_first(napix::Result<int>(42));
    if (kind == "error") {
      s = cb.call_error_first(napix::Result<int>(napix::Error::range_error("too big", "ERR_TOO_BIG")));
    }
    if (kind == "custom") {
      s = cb.try_call_error_first(napix::Result<int>(napix::Error("DataError", "bad data", "ERR_DATA")));
    }
    if (kind == "void") s = cb.call_error_first(napix::Result<void>());
    if (kind == "string") s = cb.call_error_first(napix::Result<std::string>(std::string("text")));
    if (s != Status::ok) std::abort();  // the spec would hang; make it loud
  });
  return info.Env().Undefined();
}

}  // namespace

void init_completions(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
  napix_test::add(o, "errorToJs", error_to_js);
  napix_test::add(o, "trySettle", try_settle);
  napix_test::add(o, "trySettleFromThread", try_settle_from_thread);
  napix_test::add(o, "errorFirst", error_first);
  exports.Set("completions", o);
}
