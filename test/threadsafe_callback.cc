// Test functions for napix/threadsafe_callback.h: ThreadSafeCallback (argument and closure forms)
// and TypedThreadSafeCallback, driven by native threads; JS checks exact counts.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <stdexcept>

#include "common.h"

namespace {

using napix::CallbackOptions;
using napix::Status;
using napix::ThreadSafeCallback;
using napix::TypedThreadSafeCallback;
using napix_test::counters;
using napix_test::int_arg;
using napix_test::state;

// The contract: a queued typed call costs its stored arguments plus at most 8 bytes.
static_assert(sizeof(TypedThreadSafeCallback<void(int)>::Call) == sizeof(int) + 8, "void(int): 12 bytes");
static_assert(sizeof(TypedThreadSafeCallback<void(double, int)>::Call) <= sizeof(std::tuple<double, int>) + 8,
              "void(double, int): arguments + 8 bytes");
static_assert(sizeof(TypedThreadSafeCallback<void(std::string)>::Call) <= sizeof(std::tuple<std::string>) + 8,
              "void(std::string): arguments + 8 bytes");

// produce(form, threads, perThread, fn, options?): form is 'args', 'closure' or 'typed'; every
// call passes (thread, seq).
Napi::Value produce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string form = info[0].As<Napi::String>().Utf8Value();
  int threads = int_arg(info, 1), per_thread = int_arg(info, 2);
  Napi::Function fn = info[3].As<Napi::Function>();
  CallbackOptions o = napix_test::options_arg(info, 4);
  auto& st = state(env);
  st.statuses.reset();
  if (form == "typed") {
    TypedThreadSafeCallback<void(int, int)> cb(fn, o);
    for (int t = 0; t < threads; ++t) {
      st.spawn([cb, t, per_thread, &st]() mutable {
        for (int i = 0; i < per_thread; ++i) st.statuses.add(cb.call(t, i));
      });
    }
  } else {
    ThreadSafeCallback cb(fn, o);
    bool closure = form == "closure";
    for (int t = 0; t < threads; ++t) {
      st.spawn([cb, t, per_thread, closure, &st]() mutable {
        for (int i = 0; i < per_thread; ++i) {
          if (closure) {
            st.statuses.add(cb.call([t, i](Napi::Env env, Napi::Value self, Napi::Function f) {
              f.Call(self, {Napi::Number::New(env, t), Napi::Number::New(env, i)});
            }));
          } else {
            st.statuses.add(cb.call(t, i));
          }
        }
      });
    }
  }
  return env.Undefined();
}

// withSelf(form, self, fn): one call from a thread, with `self` as the receiver.
Napi::Value with_self(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string form = info[0].As<Napi::String>().Utf8Value();
  if (form == "typed") {
    TypedThreadSafeCallback<void(std::string)> cb(info[1], info[2].As<Napi::Function>());
    state(env).spawn([cb]() mutable { cb.call("typed"); });
  } else {
    ThreadSafeCallback cb(info[1], info[2].As<Napi::Function>());
    state(env).spawn([cb]() mutable { cb.call(std::string("untyped")); });
  }
  return env.Undefined();
}

template <class Future>
std::string describe(Future& future) {
#if NAPIX_EXCEPTIONS
  try {
    using V = decltype(future.get());
    if constexpr (std::is_void_v<V>) {
      future.get();
      return "void";
    } else {
      return "value:" + napix_test::show(future.get());
    }
  } catch (const napix::JsError& e) {
    return "JsError:" + e.name() + ":" + e.message();
  } catch (const napix::ClosingError& e) {
    return std::string("ClosingError:") + e.what();
  } catch (const std::exception& e) {
    return std::string("exception:") + e.what();
  }
#else
  auto r = future.get();
  if (!r) return (r.error().code == napix::kClosingCode ? "ClosingError:" : "JsError:" + r.error().name + ":") + r.error().message;
  if constexpr (std::is_void_v<typename decltype(r)::value_type>) {
    return "void";
  } else {
    return "value:" + napix_test::show(*r);
  }
#endif
}

// Runs `call` (a call_sync) inside describe's try: its throw is what we describe.
template <class Call>
std::string describe_call(Call call) {
  using V = decltype(call());
  std::promise<V> p;
#if NAPIX_EXCEPTIONS
  try {
    if constexpr (std::is_void_v<V>) {
      call();
      p.set_value();
    } else {
      p.set_value(call());
    }
  } catch (...) {
    p.set_exception(std::current_exception());
  }
#else
  p.set_value(call());
#endif
  auto f = p.get_future();
  return describe(f);
}

// roundTrip(kind, fn, ...args): a thread makes one call_async/call_sync and the promise resolves
// with a description of what the caller got. kind: <form>-<sync|async>-<type>, form untyped or
// typed, type number|string|void.
Napi::Value round_trip(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  Napi::Function fn = info[1].As<Napi::Function>();
  napix::Channel reply(env);
  auto deferred = std::make_shared<Napi::Promise::Deferred>(env);
  Napi::Promise promise = deferred->Promise();
  auto finish = [reply, deferred](std::string s) mutable {
    reply.send([deferred, s](Napi::Env env) { deferred->Resolve(Napi::String::New(env, s)); });
  };
  bool sync = kind.find("-sync-") != std::string::npos;
  if (kind.rfind("typed", 0) == 0) {
    if (kind.find("number") != std::string::npos) {
      TypedThreadSafeCallback<double(int)> cb(fn);
      state(env).spawn([cb, sync, finish]() mutable {
        if (sync) {
          finish(describe_call([&] { return cb.call_sync(20); }));
        } else {
          auto f = cb.call_async(20);
          finish(describe(f));
        }
      });
    } else {
      TypedThreadSafeCallback<void(int)> cb(fn);
      state(env).spawn([cb, sync, finish]() mutable {
        if (sync) {
          finish(describe_call([&] { return cb.call_sync(20); }));
        } else {
          auto f = cb.call_async(20);
          finish(describe(f));
        }
      });
    }
  } else {
    ThreadSafeCallback cb(fn);
    state(env).spawn([cb, sync, kind, finish]() mutable {
      if (kind.find("string") != std::string::npos) {
        auto f = cb.call_async<std::string>(20, std::string("x"));
        finish(describe(f));
      } else if (kind.find("void") != std::string::npos) {
        auto f = cb.call_async<void>(20);
        finish(describe(f));
      } else if (sync) {
        finish(describe_call([&] { return cb.call_sync<double>(20); }));
      } else {
        auto f = cb.call_async<double>(20);
        finish(describe(f));
      }
    });
  }
  return promise;
}

// callSyncOnJsThread(form, fn): refused instead of deadlocking.
Napi::Value call_sync_on_js_thread(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string form = info[0].As<Napi::String>().Utf8Value();
  Napi::Function fn = info[1].As<Napi::Function>();
#if NAPIX_EXCEPTIONS
  try {
    if (form == "typed") {
      TypedThreadSafeCallback<int()>(fn).call_sync();
    } else {
      ThreadSafeCallback(fn).call_sync<int>();
    }
  } catch (const std::logic_error& e) {
    return Napi::String::New(env, std::string("logic_error:") + e.what());
  }
  return Napi::String::New(env, "no error");
#else
  napix::Result<int> r = form == "typed" ? TypedThreadSafeCallback<int()>(fn).call_sync()
                                          : ThreadSafeCallback(fn).call_sync<int>();
  return Napi::String::New(env, r ? "no error" : "Result:" + r.error().code + ":" + r.error().message);
#endif
}

// abortQueued(form, n, fn): n queued calls (plus n call_async) from the JS thread, then abort.
Napi::Value abort_queued(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string form = info[0].As<Napi::String>().Utf8Value();
  int n = int_arg(info, 1);
  Napi::Function fn = info[2].As<Napi::Function>();
  counters().reset();
  std::vector<std::string> futures;
  Status after;
  if (form == "typed") {
    TypedThreadSafeCallback<int(int)> cb(fn);
    std::vector<std::future<napix::Fallible<int>>> fs;
    for (int i = 0; i < n; ++i) {
      cb.call(i);
      fs.push_back(cb.call_async(i));
    }
    cb.abort();
    for (auto& f : fs) futures.push_back(describe(f));
    after = cb.call(0);
  } else {
    ThreadSafeCallback cb(fn);
    std::vector<std::future<napix::Fallible<int>>> fs;
    for (int i = 0; i < n; ++i) {
      cb.call([t = napix_test::Tracker()](Napi::Env, Napi::Value, Napi::Function) mutable { t.ran(); });
      fs.push_back(cb.call_async<int>(i));
    }
    cb.abort();
    for (auto& f : fs) futures.push_back(describe(f));
    after = cb.call(0);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("ran", double(counters().ran.load()));
  out.Set("dropped", double(counters().dropped.load()));
  Napi::Array a = Napi::Array::New(env);
  for (size_t i = 0; i < futures.size(); ++i) a.Set(i, futures[i]);
  out.Set("futures", a);
  out.Set("callAfter", napix::to_string(after));
  return out;
}

// typedChannel(fn, n) -> Promise<n>: a thread interleaves typed calls fn(2i) with closures sent
// through cb.channel() that call fn(2i + 1); then settles the promise through the same channel.
// JS must see 0, 1, ..., 2n - 1 in order, all before the promise resolves.
Napi::Value typed_channel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Function fn = info[0].As<Napi::Function>();
  int n = int_arg(info, 1);
  auto& st = state(env);
  int id = st.keep(fn);
  TypedThreadSafeCallback<void(int)> cb(fn);
  auto [deferred, promise] = napix::promise(env);
  st.spawn([cb, ch = cb.channel(), n, id, d = std::move(deferred)]() mutable {
    for (int i = 0; i < n; ++i) {
      cb.call(2 * i);
      ch.send([id, i](Napi::Env e) { state(e).function(id).Call({Napi::Number::New(e, 2 * i + 1)}); });
    }
    ch.settle_with(std::move(d), [n](Napi::Env) { return n; });
  });
  return promise;
}

// typedChannelAbort(n): n closures (each holding a Tracker) queued through a typed callback's
// channel() on the JS thread (nothing drains meanwhile), then abort(): all destroyed unrun.
Napi::Value typed_channel_abort(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int n = int_arg(info, 0);
  counters().reset();
  TypedThreadSafeCallback<void(int)> cb(Napi::Function::New(env, [](const Napi::CallbackInfo&) {}));
  napix::Channel ch = cb.channel();
  int queued = 0;
  for (int i = 0; i < n; ++i) {
    if (ch.send([t = napix_test::Tracker()](Napi::Env) mutable { t.ran(); }) == Status::ok) queued++;
  }
  cb.abort();
  Napi::Object out = Napi::Object::New(env);
  out.Set("queued", queued);
  out.Set("ran", double(counters().ran.load()));
  out.Set("dropped", double(counters().dropped.load()));
  out.Set("sendAfter", napix::to_string(ch.send([](Napi::Env) {})));
  out.Set("closed", ch.closed());
  return out;
}

// bounded(form, fn): as channel.bounded, for try_call/call.
Napi::Value bounded(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string form = info[0].As<Napi::String>().Utf8Value();
  CallbackOptions o;
  o.max_queue = 2;
  auto results = std::make_shared<std::vector<Status>>();
  auto tried = std::make_shared<std::promise<void>>();
  std::future<void> tried_f = tried->get_future();
  std::function<size_t()> blocked;
  if (form == "typed") {
    TypedThreadSafeCallback<void(int)> cb(info[1].As<Napi::Function>(), o);
    blocked = [cb] { return napix::detail::Inspect::blocked(cb); };
    state(env).spawn([cb, results, tried]() mutable {
      for (int i = 1; i <= 3; ++i) results->push_back(cb.try_call(i));
      tried->set_value();
      results->push_back(cb.call(4));
    });
  } else {
    ThreadSafeCallback cb(info[1].As<Napi::Function>(), o);
    blocked = [cb] { return napix::detail::Inspect::blocked(cb); };
    state(env).spawn([cb, results, tried]() mutable {
      for (int i = 1; i <= 3; ++i) results->push_back(cb.try_call(i));
      tried->set_value();
      results->push_back(cb.call(4));
    });
  }
  tried_f.wait();
  while (blocked() != 1) std::this_thread::yield();
  blocked = nullptr;  // drop our handle copy: only the producer's remains
  Napi::Array r = Napi::Array::New(env);
  for (size_t i = 0; i < 3; ++i) r.Set(i, napix::to_string((*results)[i]));
  Napi::Object out = Napi::Object::New(env);
  out.Set("tries", r);
  out.Set("lastCall", Napi::Function::New(env, [results](const Napi::CallbackInfo& info) {
            return Napi::String::New(info.Env(), results->size() > 3 ? napix::to_string((*results)[3]) : "pending");
          }));
  return out;
}

// callFromThread(form, fn, count): count fire-and-forget calls from a thread, then it lets go.
Napi::Value call_from_thread(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string form = info[0].As<Napi::String>().Utf8Value();
  int count = int_arg(info, 2, 1);
  if (form == "typed") {
    TypedThreadSafeCallback<void(int)> cb(info[1].As<Napi::Function>());
    state(env).spawn([cb, count]() mutable {
      for (int i = 0; i < count; ++i) cb.call(i);
    });
  } else if (form == "channel") {
    // The closure calls a function kept alive by the callback: a Channel shares its queue.
    ThreadSafeCallback cb(info[1].As<Napi::Function>());
    napix::Channel ch = cb.channel();
    state(env).spawn([cb, ch, count]() mutable {
      for (int i = 0; i < count; ++i) cb.call(i);
      ch.send([](Napi::Env) {});
    });
  } else {
    ThreadSafeCallback cb(info[1].As<Napi::Function>());
    state(env).spawn([cb, count]() mutable {
      for (int i = 0; i < count; ++i) cb.call(i);
    });
  }
  return env.Undefined();
}

// flood(form, n, fn): queues n calls fn(i) (i = 0..n-1) from the JS thread, so they are all
// waiting before the queue drains once. Each is counted ran (when it starts) or dropped (destroyed
// unrun) in the process-wide counters, reset first. The channel form's closures call fn too.
Napi::Value flood(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string form = info[0].As<Napi::String>().Utf8Value();
  int n = int_arg(info, 1);
  Napi::Function fn = info[2].As<Napi::Function>();
  counters().reset();
  if (form == "typed") {
    TypedThreadSafeCallback<void(int, napix_test::Counted)> cb(fn);
    for (int i = 0; i < n; ++i) cb.call(i, napix_test::Counted());
  } else if (form == "args") {
    ThreadSafeCallback cb(fn);
    for (int i = 0; i < n; ++i) cb.call(i, napix_test::Counted());
  } else if (form == "channel") {
    napix::Channel ch(env);
    int id = state(env).keep(fn);
    for (int i = 0; i < n; ++i) {
      ch.send([t = napix_test::Tracker(), id, i](Napi::Env e) mutable {
        t.ran();
        state(e).function(id).Call({Napi::Number::New(e, i)});
      });
    }
  } else {
    ThreadSafeCallback cb(fn);
    for (int i = 0; i < n; ++i) {
      cb.call([t = napix_test::Tracker(), i](Napi::Env e, Napi::Value, Napi::Function f) mutable {
        t.ran();
        f.Call({Napi::Number::New(e, i)});
      });
    }
  }
  return env.Undefined();
}

// startProducers({form, threads, maxQueue, fn}): producers call until they see `closing`
// (teardown tests). Everything is counted in the process-wide counters.
Napi::Value start_producers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  std::string form = o.Get("form").As<Napi::String>().Utf8Value();
  int threads = o.Get("threads").As<Napi::Number>().Int32Value();
  CallbackOptions opts;
  opts.max_queue = o.Get("maxQueue").As<Napi::Number>().Uint32Value();
  if (o.Has("keepAlive")) opts.keep_alive = o.Get("keepAlive").As<Napi::Boolean>().Value();
  Napi::Function fn = o.Get("fn").As<Napi::Function>();
  auto loop = [](auto call) {
    for (;;) {
      counters().attempted++;
      Status s = call();
      if (s == Status::ok) {
        counters().accepted++;
      } else {
        counters().refused++;
        if (s == Status::closing) break;
        std::this_thread::yield();
      }
    }
    counters().producers_done++;
  };
  if (form == "typed") {
    TypedThreadSafeCallback<void(napix_test::Counted)> cb(fn, opts);
    for (int t = 0; t < threads; ++t) {
      std::thread([cb, loop]() mutable { loop([&] { return cb.call(napix_test::Counted()); }); }).detach();
    }
  } else if (form == "channel") {
    napix::Channel ch(env, opts);
    for (int t = 0; t < threads; ++t) {
      std::thread([ch, loop]() mutable {
        loop([&] { return ch.send([t = napix_test::Tracker()](Napi::Env) mutable { t.ran(); }); });
      }).detach();
    }
  } else {
    ThreadSafeCallback cb(fn, opts);
    for (int t = 0; t < threads; ++t) {
      std::thread([cb, loop]() mutable {
        loop([&] {
          return cb.call([t = napix_test::Tracker()](Napi::Env, Napi::Value, Napi::Function f) mutable {
            t.ran();
            f.Call({});
          });
        });
      }).detach();
    }
  }
  return env.Undefined();
}

Napi::Value process_counters(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  auto& c = counters();
  // producersDone first: read last, a producer's whole final iteration (attempted, dropped,
  // refused, done) could fall between the reads, giving a snapshot that adds up with refused <
  // producersDone (teardown.test.js, Node 24, once in a 50x stress run). Read first, all done
  // means every count a producer makes is already in.
  double done = double(c.producers_done.load());
  out.Set("attempted", double(c.attempted.load()));
  out.Set("accepted", double(c.accepted.load()));
  out.Set("ran", double(c.ran.load()));
  out.Set("dropped", double(c.dropped.load()));
  out.Set("refused", double(c.refused.load()));
  out.Set("producersDone", done);
  return out;
}

// reportAtExit(threads): prints the process counters as JSON from an atexit handler, i.e. after
// the main environment's teardown, once `threads` producers have returned (or after 5 s).
int g_report_threads = 0;
Napi::Value report_at_exit(const Napi::CallbackInfo& info) {
  g_report_threads = int_arg(info, 0);
  std::atexit([] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    auto& c = counters();
    while (c.producers_done.load() < g_report_threads && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::printf("counters: {\"attempted\":%ld,\"accepted\":%ld,\"ran\":%ld,\"dropped\":%ld,"
                "\"refused\":%ld,\"producersDone\":%ld}\n",
                c.attempted.load(), c.accepted.load(), c.ran.load(), c.dropped.load(),
                c.refused.load(), c.producers_done.load());
    std::fflush(stdout);
  });
  return info.Env().Undefined();
}

// make(form, fn, self?): a callback made from `fn` (and, for the '-self' forms, the receiver
// `self`) taken unchecked from JS. Reports what construction gave: `error` (thrown, or with
// exceptions off left pending), and for a handle that exists `closed` and what call(1) returned.
template <class H, class Make>
Napi::Object try_make(Napi::Env env, Make make) {
  Napi::Object out = Napi::Object::New(env);
  NAPIX_TRY {
    H h = make();
#if !NAPIX_EXCEPTIONS
    if (env.IsExceptionPending()) out.Set("error", env.GetAndClearPendingException().Value());
#endif
    out.Set("closed", h.closed());
    out.Set("call", napix::to_string(h.call(1)));
  }
#if NAPIX_EXCEPTIONS
  catch (const Napi::Error& e) {
    out.Set("error", e.Value());
  }
#endif
  return out;
}

Napi::Value make(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string form = info[0].As<Napi::String>().Utf8Value();
  Napi::Function fn = info[1].As<Napi::Function>();
  Napi::Value self = info[2];
  if (form == "fn")
    return try_make<ThreadSafeCallback>(env, [&] { return ThreadSafeCallback(fn); });
  if (form == "self")
    return try_make<ThreadSafeCallback>(env, [&] { return ThreadSafeCallback(self, fn); });
  using Typed = TypedThreadSafeCallback<void(int)>;
  if (form == "typed") return try_make<Typed>(env, [&] { return Typed(fn); });
  return try_make<Typed>(env, [&] { return Typed(self, fn); });
}

Napi::Value reset_counters(const Napi::CallbackInfo& info) {
  counters().reset();
  return info.Env().Undefined();
}

// lingerRoundTrips(form, n, gapMs, fn): a thread makes n call_sync round trips of fn(i) (form
// 'untyped' or 'typed'; 'fire': n fire-and-forget call(i), sum 0), sleeping gapMs after each,
// then drops its callback; resolves with the sum of the answers (-1 on an error) and how the
// calls reached the JS thread (DispatchStats).
Napi::Value linger_round_trips(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string form = info[0].As<Napi::String>().Utf8Value();
  bool typed = form == "typed", fire = form == "fire";
  int n = int_arg(info, 1), gap_ms = int_arg(info, 2);
  Napi::Function fn = info[3].As<Napi::Function>();
  napix::Channel reply(env);
  auto [deferred, promise] = napix::promise(env);
  auto untyped = std::make_shared<std::optional<ThreadSafeCallback>>(ThreadSafeCallback(fn));
  auto typed_cb = std::make_shared<std::optional<TypedThreadSafeCallback<int(int)>>>(
      TypedThreadSafeCallback<int(int)>(fn));
  std::shared_ptr<napix::detail::ChannelCore> core = typed
      ? napix::detail::Inspect::core(**typed_cb) : napix::detail::Inspect::core(**untyped);
  // Only the thread's callback may count as a handle: it drops it when done.
  if (typed) untyped->reset(); else typed_cb->reset();
  state(env).spawn([=, deferred = std::move(deferred)]() mutable {
    long long sum = 0;
    for (int i = 0; i < n && sum >= 0; ++i) {
      if (fire) {
        if ((**untyped).call(i) != napix::Status::ok) sum = -1;
        continue;
      }
#if NAPIX_EXCEPTIONS
      try {
        sum += typed ? (**typed_cb).call_sync(i) : (**untyped).call_sync<int>(i);
      } catch (...) {
        sum = -1;
      }
#else
      napix::Result<int> r = typed ? (**typed_cb).call_sync(i) : (**untyped).call_sync<int>(i);
      sum = r ? sum + *r : -1;
#endif
      if (gap_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
    }
    untyped->reset();
    typed_cb->reset();
    reply.send([core, sum, deferred = std::move(deferred)](Napi::Env env) mutable {
      napix::detail::DispatchStats s = core->dispatch_stats();
      Napi::Object out = Napi::Object::New(env);
      out.Set("sum", Napi::Number::New(env, static_cast<double>(sum)));
      out.Set("wakes", Napi::Number::New(env, static_cast<double>(s.wakes)));
      out.Set("lingerHits", Napi::Number::New(env, static_cast<double>(s.linger_hits)));
      out.Set("lingerMisses", Napi::Number::New(env, static_cast<double>(s.linger_misses)));
      out.Set("lingerSkipped", Napi::Number::New(env, static_cast<double>(s.linger_skipped)));
      deferred.resolve(out);
    });
  });
  return promise;
}

// asyncThenExit(fn): fn('promise') (which returns a promise) through call_async<double>, then
// fn('exit') (which ends the Worker), queued together on one callback, so they run in one batch
// and the promise's reaction never runs. A detached thread waits on the future and keeps what it got for
// asyncThenExitOutcome() ('pending' until then), which the main thread asks after the Worker.
std::mutex& outcome_mutex() {
  static auto* m = new std::mutex;  // leaked: the waiting thread may outlive everything
  return *m;
}
std::string& outcome_text() {
  static auto* s = new std::string("pending");
  return *s;
}

Napi::Value async_then_exit(const Napi::CallbackInfo& info) {
  ThreadSafeCallback fn(info[0].As<Napi::Function>());
  {
    std::lock_guard<std::mutex> lock(outcome_mutex());
    outcome_text() = "pending";
  }
  auto future = fn.call_async<double>(std::string("promise"));
  fn.call(std::string("exit"));
  std::thread([f = std::move(future)]() mutable {
    std::string got = describe(f);
    std::lock_guard<std::mutex> lock(outcome_mutex());
    outcome_text() = got;
  }).detach();
  return info.Env().Undefined();
}

Napi::Value async_then_exit_outcome(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(outcome_mutex());
  return Napi::String::New(info.Env(), outcome_text());
}

}  // namespace

void init_threadsafe_callback(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
  napix_test::add(o, "produce", produce);
  napix_test::add(o, "withSelf", with_self);
  napix_test::add(o, "roundTrip", round_trip);
  napix_test::add(o, "callSyncOnJsThread", call_sync_on_js_thread);
  napix_test::add(o, "abortQueued", abort_queued);
  napix_test::add(o, "bounded", bounded);
  napix_test::add(o, "typedChannel", typed_channel);
  napix_test::add(o, "typedChannelAbort", typed_channel_abort);
  napix_test::add(o, "callFromThread", call_from_thread);
  napix_test::add(o, "startProducers", start_producers);
  napix_test::add(o, "flood", flood);
  napix_test::add(o, "counters", process_counters);
  napix_test::add(o, "resetCounters", reset_counters);
  napix_test::add(o, "reportAtExit", report_at_exit);
  napix_test::add(o, "make", make);
  napix_test::add(o, "lingerRoundTrips", linger_round_trips);
  napix_test::add(o, "asyncThenExit", async_then_exit);
  napix_test::add(o, "asyncThenExitOutcome", async_then_exit_outcome);
  exports.Set("tsc", o);
}
