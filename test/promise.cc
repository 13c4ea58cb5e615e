// Test functions for napix/promise.h: promise(), Deferred, Channel::settle_with, to_future.
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <stdexcept>
#include <vector>

#include "common.h"

// A Deferred is two words, so Channel::settle_with with a pointer-sized closure needs no
// allocation (the queue stores 24 bytes inline; bench/ measures what that buys).
static_assert(sizeof(napix::Deferred) == 2 * sizeof(void*), "napix::Deferred grew");

namespace {

using napix::Deferred;
using napix_test::counters;
using napix_test::int_arg;
using napix_test::state;

// resolveWith(kind, value?): a promise resolved on the JS thread with a C++ value of `kind`.
Napi::Value resolve_with(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  auto [d, p] = napix::promise(env);
  if (kind == "int") d.resolve(42);
  if (kind == "double") d.resolve(2.5);
  if (kind == "string") d.resolve(std::string("text 😀"));
  if (kind == "vector") d.resolve(std::vector<int>{1, 2, 3});
  if (kind == "map") d.resolve(std::map<std::string, bool>{{"a", true}});
  if (kind == "value") d.resolve(info[1]);
  if (kind == "undefined") d.resolve();
  if (kind == "int64") d.resolve(std::int64_t(1) << 60);
  return p;
}

// rejectWith(kind, value?)
Napi::Value reject_with(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  auto [d, p] = napix::promise(env);
  if (kind == "value") d.reject(info[1]);
  if (kind == "napi-error") d.reject(Napi::TypeError::New(env, "napi type error"));
  if (kind == "napix-error") d.reject(napix::Error::range_error("too far", "ERR_FAR"));
  if (kind == "message") d.reject("plain message");
  if (kind == "std-string") d.reject(std::string("string message"));
  if (kind == "number") d.reject(7);
  return p;
}

// settleWith(kind): Deferred::settle_with with a closure that returns, throws, or leaves a JS
// exception pending.
Napi::Value settle_with(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  auto [d, p] = napix::promise(env);
  if (kind == "value") d.settle_with([](Napi::Env) { return std::vector<std::string>{"a", "b"}; });
  if (kind == "void") d.settle_with([](Napi::Env) {});
  if (kind == "napi-value") d.settle_with([](Napi::Env env) { return Napi::Object::New(env); });
  if (kind == "result-ok") d.settle_with([](Napi::Env) { return napix::Result<int>(5); });
  if (kind == "result-error") {
    d.settle_with([](Napi::Env) { return napix::Result<int>(napix::Error::type_error("bad result")); });
  }
  if (kind == "pending") {
    d.settle_with([](Napi::Env env) {
      napi_throw_error(env, "ERR_PENDING", "left pending");
      return 1;
    });
  }
#if NAPIX_EXCEPTIONS
  if (kind == "cpp-throw") d.settle_with([](Napi::Env) -> int { throw std::runtime_error("c++ failed"); });
  if (kind == "js-throw") {
    d.settle_with([](Napi::Env env) -> int { throw Napi::RangeError::New(env, "js failed"); });
  }
#endif
  return p;
}

// fromThreads(threads, perThread): every thread settles perThread Deferreds through
// Channel::settle_with; the promises resolve to thread * 100000 + i.
Napi::Value from_threads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int threads = int_arg(info, 0), per_thread = int_arg(info, 1);
  napix::Channel channel(env);
  state(env).statuses.reset();
  Napi::Array promises = Napi::Array::New(env);
  for (int t = 0; t < threads; ++t) {
    auto deferreds = std::make_shared<std::vector<Deferred>>();
    for (int i = 0; i < per_thread; ++i) {
      auto [d, p] = napix::promise(env);
      deferreds->push_back(std::move(d));
      promises.Set(uint32_t(t * per_thread + i), p);
    }
    state(env).spawn([channel, deferreds, t, &st = state(env)] {
      int i = 0;
      for (Deferred& d : *deferreds) {
        int value = t * 100000 + i++;
        st.statuses.add(channel.settle_with(std::move(d), [value](Napi::Env) { return value; }));
      }
    });
  }
  return promises;
}

// dropOnJsThread(): a Deferred destroyed unsettled right here.
Napi::Value drop_on_js_thread(const Napi::CallbackInfo& info) {
  auto [d, p] = napix::promise(info.Env());
  { Deferred gone = std::move(d); }
  return p;
}

// dropOnThread(): a Deferred moved to a native thread and destroyed there.
Napi::Value drop_on_thread(const Napi::CallbackInfo& info) {
  auto [d, p] = napix::promise(info.Env());
  state(info.Env()).spawn([d = std::move(d)]() mutable { Deferred gone = std::move(d); });
  return p;
}

// dropByAbort(): a Deferred inside a closure that never runs: the channel is aborted from a thread.
Napi::Value drop_by_abort(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto [d, p] = napix::promise(env);
  napix::Channel channel(env);
  channel.settle_with(std::move(d), [](Napi::Env) { return 1; });  // queued, never run
  // Aborted from another thread while this JS thread waits: the closure (and the Deferred in it)
  // is destroyed there, unrun.
  std::thread([channel] { channel.abort(); }).join();
  return p;
}

// misuse(kind): settling twice, or off the JS thread.
Napi::Value misuse(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  auto [d, p] = napix::promise(env);
  if (kind == "twice") {
    d.resolve(1);
#if NAPIX_EXCEPTIONS
    try {
      d.resolve(2);
    } catch (const std::logic_error& e) {
      return Napi::String::New(env, e.what());
    }
    return Napi::String::New(env, "no error");
#else
    d.resolve(2);  // fatal
    return Napi::String::New(env, "survived");
#endif
  }
  // off-thread: resolve() on a native thread.
  auto result = std::make_shared<std::string>();
  std::thread t([&d = d, result] {
#if NAPIX_EXCEPTIONS
    try {
      d.resolve(1);
      *result = "no error";
    } catch (const std::logic_error& e) {
      *result = e.what();
    }
#else
    d.resolve(1);  // fatal
#endif
  });
  t.join();
  d.resolve(3);
  return Napi::String::New(env, *result);
}

// misuseUncaught(kind): a documented misuse left to escape the addon function — settling a
// Deferred twice ('twice'), call_sync / send_sync on the JS thread ('call_sync', 'typed_call_sync',
// 'send_sync'), Result::value() on an error ('result_value'). With exceptions on, napix.gyp's
// napix_except must turn the std::logic_error into a JS Error (not std::terminate).
Napi::Value misuse_uncaught(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  Napi::Function fn =
      Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return i.Env().Undefined(); });
#if NAPIX_EXCEPTIONS
  if (kind == "twice") {
    auto [d, p] = napix::promise(env);
    d.resolve(1);
    d.resolve(2);
  } else if (kind == "call_sync") {
    napix::ThreadSafeCallback(fn).call_sync<int>();
  } else if (kind == "typed_call_sync") {
    napix::TypedThreadSafeCallback<int()>(fn).call_sync();
  } else if (kind == "send_sync") {
    napix::Channel(env).send_sync([](Napi::Env) { return 1; });
  } else if (kind == "result_value") {
    napix::Result<int> r = napix::Error("no value");
    return Napi::Number::New(env, r.value());
  }
  return Napi::String::New(env, "no error");
#else
  (void)fn;
  return Napi::String::New(env, "exceptions off: " + kind);
#endif
}

// settledState(): settled() before and after, and of a default / moved-from Deferred.
Napi::Value settled_state(const Napi::CallbackInfo& info) {
  auto [d, p] = napix::promise(info.Env());
  Napi::Array out = Napi::Array::New(info.Env());
  out.Set(0u, d.settled());
  Deferred moved = std::move(d);
  out.Set(1u, d.settled());  // NOLINT: moved-from is empty
  out.Set(2u, moved.settled());
  moved.resolve(1);
  out.Set(3u, moved.settled());
  out.Set(4u, Deferred().settled());
  return out;
}

// toFuture(thenable): a native thread waits on the future; the answer comes back as a string.
Napi::Value to_future(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto future = std::make_shared<std::future<napix::Fallible<double>>>(napix::to_future<double>(info[0]));
  napix::Channel reply(env);
  auto [d, p] = napix::promise(env);
  state(env).spawn([future, reply, d = std::move(d)]() mutable {
    std::string s;
#if NAPIX_EXCEPTIONS
    try {
      s = "value:" + napix_test::show(future->get());
    } catch (const napix::JsError& e) {
      s = "JsError:" + e.name() + ":" + e.message();
    } catch (const napix::ClosingError& e) {
      s = "ClosingError";
    }
#else
    auto r = future->get();
    s = r ? "value:" + napix_test::show(*r)
          : (r.error().code == napix::kClosingCode ? std::string("ClosingError")
                                                   : "JsError:" + r.error().name + ":" + r.error().message);
#endif
    reply.settle_with(std::move(d), [s](Napi::Env) { return s; });
  });
  return p;
}

// inFlight(threads, perThread): Worker teardown scenario: native threads hold Deferreds and
// settle them slowly through a Channel while the Worker is terminated. Counted process-wide:
// `ran` settled, `refused` settle_with returned closing, producersDone threads finished.
Napi::Value in_flight(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int threads = int_arg(info, 0), per_thread = int_arg(info, 1);
  napix::Channel channel(env);
  for (int t = 0; t < threads; ++t) {
    auto deferreds = std::make_shared<std::vector<Deferred>>();
    for (int i = 0; i < per_thread; ++i) deferreds->push_back(napix::promise(env).first);
    std::thread([channel, deferreds] {
      for (Deferred& d : *deferreds) {
        counters().attempted++;
        napix::Status s = channel.settle_with(std::move(d), [](Napi::Env) {
          counters().ran++;
          return 1;
        });
        if (s != napix::Status::ok) counters().refused++;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      deferreds->clear();
      counters().producers_done++;
    }).detach();
  }
  return env.Undefined();
}

// neverSettles(): a promise a native thread waits on through to_future, that never settles; the
// thread records the outcome process-wide (dropped = ClosingError seen).
Napi::Value never_settles(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto [d, p] = napix::promise(env);
  auto keep = std::make_shared<Deferred>(std::move(d));
  auto future = std::make_shared<std::future<napix::Fallible<int>>>(napix::to_future<int>(p));
  std::thread([future] {
#if NAPIX_EXCEPTIONS
    try {
      future->get();
    } catch (const napix::ClosingError&) {
      counters().dropped++;
    } catch (...) {
    }
#else
    auto r = future->get();
    if (!r && r.error().code == napix::kClosingCode) counters().dropped++;
#endif
    counters().producers_done++;
  }).detach();
  // Keep the Deferred alive with the environment: hand it to a JS object that holds it.
  Napi::Object holder = Napi::Object::New(env);
  holder.AddFinalizer([](Napi::Env, std::shared_ptr<Deferred>* k) { delete k; },
                      new std::shared_ptr<Deferred>(keep));
  return holder;
}

}  // namespace

void init_promise(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
  napix_test::add(o, "resolveWith", resolve_with);
  napix_test::add(o, "rejectWith", reject_with);
  napix_test::add(o, "settleWith", settle_with);
  napix_test::add(o, "fromThreads", from_threads);
  napix_test::add(o, "dropOnJsThread", drop_on_js_thread);
  napix_test::add(o, "dropOnThread", drop_on_thread);
  napix_test::add(o, "dropByAbort", drop_by_abort);
  napix_test::add(o, "misuse", misuse);
  napix_test::add(o, "misuseUncaught", misuse_uncaught);
  napix_test::add(o, "settledState", settled_state);
  napix_test::add(o, "toFuture", to_future);
  napix_test::add(o, "inFlight", in_flight);
  napix_test::add(o, "neverSettles", never_settles);
  exports.Set("promise", o);
}
