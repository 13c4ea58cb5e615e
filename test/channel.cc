// Test functions for napix/channel.h. Producers are native threads; JS checks exact counts.
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <thread>

#include "common.h"


namespace {

using napix::Channel;
using napix::ChannelOptions;
using napix::Status;
using napix_test::counters;
using napix_test::int_arg;
using napix_test::state;

// produce(threads, perThread, fn(thread, seq), options?): every thread sends perThread closures.
Napi::Value produce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int threads = int_arg(info, 0), per_thread = int_arg(info, 1);
  int fn = state(env).keep(info[2].As<Napi::Function>());
  Channel channel(env, napix_test::options_arg(info, 3));
  state(env).statuses.reset();
  for (int t = 0; t < threads; ++t) {
    state(env).spawn([channel, t, per_thread, fn, &st = state(env)] {
      for (int i = 0; i < per_thread; ++i) {
        st.statuses.add(channel.send([t, i, fn, &st](Napi::Env env) {
          st.function(fn).Call({Napi::Number::New(env, t), Napi::Number::New(env, i)});
        }));
      }
    });
  }
  return env.Undefined();
}

Napi::Value statuses(const Napi::CallbackInfo& info) {
  return state(info.Env()).statuses.to_js(info.Env());
}

// sendAsync(value): a thread sends a closure returning `value` (or throwing when value is a
// string starting with "throw:"), waits on the future and reports through the returned promise.
Napi::Value send_async(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string mode = info[0].As<Napi::String>().Utf8Value();
  Channel channel(env);
  auto deferred = std::make_shared<Napi::Promise::Deferred>(env);
  Napi::Promise promise = deferred->Promise();
  state(env).spawn([channel, mode, deferred]() mutable {
    auto future = channel.send_async([mode](Napi::Env env) -> double {
      if (mode == "cpp-throw") {
#if NAPIX_EXCEPTIONS
        throw std::runtime_error("c++ says no");
#endif
      }
      if (mode == "js-throw") {
        Napi::Error::New(env, "js says no").ThrowAsJavaScriptException();
#if NAPIX_EXCEPTIONS
        throw Napi::Error(env, env.GetAndClearPendingException().Value());
#endif
        return 0;
      }
      return 42.5;
    });
    std::string outcome;
#if NAPIX_EXCEPTIONS
    try {
      outcome = "value:" + std::to_string(int(future.get() * 2));
    } catch (const napix::JsError& e) {
      outcome = "JsError:" + e.name() + ":" + e.message();
    } catch (const std::exception& e) {
      outcome = std::string("exception:") + e.what();
    }
#else
    napix::Result<double> r = future.get();
    outcome = r ? "value:" + std::to_string(int(*r * 2)) : "JsError:" + r.error().name + ":" + r.error().message;
#endif
    channel.send([deferred, outcome](Napi::Env env) { deferred->Resolve(Napi::String::New(env, outcome)); });
  });
  return promise;
}

// sendSync(): a thread makes a blocking round trip and reports the value it got.
Napi::Value send_sync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Channel channel(env);
  auto deferred = std::make_shared<Napi::Promise::Deferred>(env);
  Napi::Promise promise = deferred->Promise();
  state(env).spawn([channel, deferred]() mutable {
    auto answer = channel.send_sync([](Napi::Env env) {
      return env.Global().Get("napixAnswer").As<Napi::Number>().Int32Value();
    });
#if NAPIX_EXCEPTIONS
    int value = answer;
#else
    int value = answer ? *answer : -1;
#endif
    channel.send([deferred, value](Napi::Env env) { deferred->Resolve(Napi::Number::New(env, value)); });
  });
  return promise;
}

// sendSyncOnJsThread(): must refuse (it would deadlock) instead of hanging.
Napi::Value send_sync_on_js_thread(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Channel channel(env);
#if NAPIX_EXCEPTIONS
  try {
    channel.send_sync([](Napi::Env) { return 1; });
  } catch (const std::logic_error& e) {
    return Napi::String::New(env, std::string("logic_error:") + e.what());
  }
  return Napi::String::New(env, "no error");
#else
  napix::Result<int> r = channel.send_sync([](Napi::Env) { return 1; });
  return Napi::String::New(env, r ? "no error" : "Result:" + r.error().code + ":" + r.error().message);
#endif
}

// abortQueued(n): queues n closures and n send_async calls from the JS thread, aborts, and
// reports what ran, what was destroyed, what the futures say, and what a later send returns.
Napi::Value abort_queued(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int n = int_arg(info, 0);
  counters().reset();
  Channel channel(env);
  std::vector<std::future<napix::Fallible<int>>> futures;
  for (int i = 0; i < n; ++i) {
    channel.send([t = napix_test::Tracker()](Napi::Env) mutable { t.ran(); });
    futures.push_back(channel.send_async([](Napi::Env) { return 7; }));
  }
  channel.abort();
  int closing_futures = 0;
  for (auto& f : futures) {
#if NAPIX_EXCEPTIONS
    try {
      f.get();
    } catch (const napix::ClosingError&) {
      ++closing_futures;
    }
#else
    napix::Result<int> r = f.get();
    if (!r && r.error().code == napix::kClosingCode) ++closing_futures;
#endif
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("ran", double(counters().ran.load()));
  out.Set("dropped", double(counters().dropped.load()));
  out.Set("closingFutures", closing_futures);
  out.Set("sendAfter", napix::to_string(channel.send([](Napi::Env) {})));
  out.Set("closed", channel.closed());
  return out;
}

// bounded(maxQueue): a thread fills a bounded queue while the JS thread is busy in this very
// function: try_send sees queue_full, send blocks until JS drains. Returns once the producer is
// provably blocked; JS then checks the rest.
Napi::Value bounded(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ChannelOptions o;
  o.max_queue = 2;
  Channel channel(env, o);
  auto results = std::make_shared<std::vector<Status>>();
  auto done = std::make_shared<std::atomic<bool>>(false);
  auto tried = std::make_shared<std::promise<void>>();
  std::future<void> tried_f = tried->get_future();
  int fn = state(env).keep(info[0].As<Napi::Function>());
  auto& st = state(env);
  auto job = [fn, &st](int i) {
    return [fn, i, &st](Napi::Env env) { st.function(fn).Call({Napi::Number::New(env, i)}); };
  };
  state(env).spawn([channel, results, done, tried, job]() mutable {
    results->push_back(channel.try_send(job(1)));
    results->push_back(channel.try_send(job(2)));
    results->push_back(channel.try_send(job(3)));  // full: the JS thread is busy right now
    tried->set_value();
    results->push_back(channel.send(job(4)));  // blocks until JS ran 1 or 2
    done->store(true);
  });
  tried_f.wait();
  while (napix::detail::Inspect::blocked(channel) != 1) std::this_thread::yield();
  Napi::Object out = Napi::Object::New(env);
  Napi::Array r = Napi::Array::New(env);
  for (size_t i = 0; i < 3; ++i) r.Set(i, napix::to_string((*results)[i]));
  out.Set("tries", r);
  out.Set("blockedWhileBusy", !done->load());
  out.Set("lastSend", Napi::Function::New(env, [results](const Napi::CallbackInfo& info) {
            return Napi::String::New(info.Env(), results->size() > 3 ? napix::to_string((*results)[3]) : "pending");
          }));
  return out;
}

// fullOnJsThread(): a blocking send on the JS thread with a full bounded queue must not wait for
// a drain that only this thread can do.
Napi::Value full_on_js_thread(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ChannelOptions o;
  o.max_queue = 1;
  Channel channel(env, o);
  Napi::Array out = Napi::Array::New(env);
  out.Set(0u, napix::to_string(channel.send([](Napi::Env) {})));
  out.Set(1u, napix::to_string(channel.send([](Napi::Env) {})));
  napix::ThreadSafeCallback cb(info[0].As<Napi::Function>(), o);
  out.Set(2u, napix::to_string(cb.call(1)));
  out.Set(3u, napix::to_string(cb.call(2)));
  napix::TypedThreadSafeCallback<void(int)> typed(info[0].As<Napi::Function>(), o);
  out.Set(4u, napix::to_string(typed.call(1)));
  out.Set(5u, napix::to_string(typed.call(2)));
  return out;
}

// refState(): has_ref after construction, unref, ref — and with keep_alive false.
Napi::Value ref_state(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Channel a(env);
  Napi::Array out = Napi::Array::New(env);
  out.Set(0u, a.has_ref());
  a.unref();
  out.Set(1u, a.has_ref());
  a.ref();
  out.Set(2u, a.has_ref());
  ChannelOptions o;
  o.keep_alive = false;
  Channel b(env, o);
  out.Set(3u, b.has_ref());
  Channel moved = std::move(b);
  out.Set(4u, b.closed());  // NOLINT: moved-from is closed
  out.Set(5u, napix::to_string(b.send([](Napi::Env) {})));
  return out;
}


// holdAndSendLater(ref, ms, fn): keeps a Channel; a thread sends fn() after ms and then lets go.
Napi::Value hold_and_send_later(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool keep = info[0].As<Napi::Boolean>().Value();
  int ms = int_arg(info, 1);
  int fn = state(env).keep(info[2].As<Napi::Function>());
  auto channel = std::make_shared<Channel>(env);
  if (!keep) channel->unref();
  auto& st = state(env);
  std::thread([channel, ms, fn, &st]() mutable {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    channel->send([fn, &st](Napi::Env) { st.function(fn).Call({}); });
    channel.reset();
  }).detach();
  return env.Undefined();
}

// throwFromClosure(kind): a closure that throws (C++, JS, or a napix::JsError) in a fire-and-forget
// send.
Napi::Value throw_from_closure(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  Channel channel(env);
  state(env).spawn([channel, kind]() mutable {
    channel.send([kind](Napi::Env env) {
      if (kind == "js") {
        Napi::Error::New(env, "thrown in a closure").ThrowAsJavaScriptException();
#if NAPIX_EXCEPTIONS
        throw Napi::Error(env, env.GetAndClearPendingException().Value());
#endif
      }
#if NAPIX_EXCEPTIONS
      if (kind == "cpp") throw std::runtime_error("c++ thrown in a closure");
      if (kind == "jserror") throw napix::JsError("RangeError", "JsError thrown in a closure", "", "E_NAPIX_TEST");
#endif
    });
  });
  return env.Undefined();
}

}  // namespace

// refOffThread(which): ch.ref() or ch.unref() called on a native thread: a std::logic_error
// naming the misuse (exceptions off: a fatal error, so run in a child process).
Napi::Value ref_off_thread(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string which = info[0].As<Napi::String>().Utf8Value();
  napix::Channel ch(env);
  std::string result = "no error";
  std::thread([&] {
#if NAPIX_EXCEPTIONS
    try {
      which == "ref" ? ch.ref() : ch.unref();
    } catch (const std::logic_error& e) {
      result = e.what();
    }
#else
    which == "ref" ? ch.ref() : ch.unref();
#endif
  }).join();
  return Napi::String::New(env, result);
}

void init_channel(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
  napix_test::add(o, "produce", produce);
  napix_test::add(o, "refOffThread", ref_off_thread);
  napix_test::add(o, "statuses", statuses);
  napix_test::add(o, "sendAsync", send_async);
  napix_test::add(o, "sendSync", send_sync);
  napix_test::add(o, "sendSyncOnJsThread", send_sync_on_js_thread);
  napix_test::add(o, "abortQueued", abort_queued);
  napix_test::add(o, "bounded", bounded);
  napix_test::add(o, "refState", ref_state);
  napix_test::add(o, "fullOnJsThread", full_on_js_thread);
  napix_test::add(o, "holdAndSendLater", hold_and_send_later);
  napix_test::add(o, "throwFromClosure", throw_from_closure);
  exports.Set("channel", o);
}
