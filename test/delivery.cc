// Test functions for what becomes of a queued call that is aborted, refused or whose arguments
// fail to convert (Channel, ThreadSafeCallback and TypedThreadSafeCallback alike): no item starts
// after abort(), a full queue is reported as queue_full (never "closing"), and a conversion error
// reaches the caller's future. JS checks exact counts.
#include <atomic>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common.h"

namespace {

using napix::Channel;
using napix::Status;
using napix::ThreadSafeCallback;
using napix::TypedThreadSafeCallback;
using napix_test::counters;
using napix_test::int_arg;
using napix_test::state;

// What one abort scenario saw. Shared with the threads; read by JS through abortReport().
struct AbortRun {
  napix_test::StatusCounts statuses;  // what the producers' sends returned
  std::atomic<long> started_after_abort{0}, js_calls{0};
  std::atomic<bool> abort_returned{false};
  std::mutex mutex;
  std::condition_variable cv;
  bool go_abort = false;
};
std::shared_ptr<AbortRun> g_run;  // JS thread only (the threads hold their own copies)

Napi::Value report(Napi::Env env) {
  AbortRun& run = *g_run;
  Napi::Object out = Napi::Object::New(env);
  out.Set("ran", double(counters().ran.load()));
  out.Set("dropped", double(counters().dropped.load()));
  out.Set("ok", double(run.statuses.ok.load()));
  out.Set("closing", double(run.statuses.closing.load()));
  out.Set("startedAfterAbort", double(run.started_after_abort.load()));
  out.Set("abortReturned", run.abort_returned.load());
  out.Set("jsCalls", double(run.js_calls.load()));
  return out;
}

// abortFromThread(n, k): a thread sends n closures; the k-th, on the JS thread, lets a second
// thread call abort() and returns only once the queue reports closed (abort() is under way).
// No closure may start after that: exactly k ran, whatever was drained with them.
Napi::Value abort_from_thread(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int n = int_arg(info, 0), k = int_arg(info, 1);
  counters().reset();
  g_run = std::make_shared<AbortRun>();
  Channel channel(env);
  auto run = g_run;
  state(env).spawn([channel, run, n, k] {
    for (int i = 1; i <= n; ++i) {
      run->statuses.add(channel.send([channel, run, i, k, t = napix_test::Tracker()](Napi::Env) mutable {
        if (run->abort_returned) run->started_after_abort++;
        t.ran();
        if (i != k) return;
        {
          std::lock_guard<std::mutex> lock(run->mutex);
          run->go_abort = true;
        }
        run->cv.notify_all();
        while (!channel.closed()) std::this_thread::yield();
      }));
    }
  });
  state(env).spawn([channel, run] {
    {
      std::unique_lock<std::mutex> lock(run->mutex);
      run->cv.wait(lock, [&] { return run->go_abort; });
    }
    channel.abort();
    run->abort_returned = true;
  });
  return env.Undefined();
}

// abortInFirstOfBatch(n): n closures queued from the JS thread (one batch); the first aborts.
Napi::Value abort_in_first_of_batch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int n = int_arg(info, 0);
  counters().reset();
  g_run = std::make_shared<AbortRun>();
  Channel channel(env);
  for (int i = 0; i < n; ++i) {
    g_run->statuses.add(channel.send([channel, i, t = napix_test::Tracker()](Napi::Env) mutable {
      t.ran();
      if (i == 0) channel.abort();
    }));
  }
  return env.Undefined();
}

// A process-wide callback the JS function can abort from inside a call (abortCallback()).
std::function<void()> g_abort;

// floodAndAbortFromJs(form, fn, producers): producers call fn(Counted) until refused; fn calls
// abortCallback() at its 10th call. Exactly 10 calls may reach JS.
Napi::Value flood_and_abort_from_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string form = info[0].As<Napi::String>().Utf8Value();
  Napi::Function fn = info[1].As<Napi::Function>();
  int producers = int_arg(info, 2);
  counters().reset();
  g_run = std::make_shared<AbortRun>();
  auto run = g_run;
  auto flood = [run, producers, &st = state(env)](auto cb) {
    g_abort = [cb] { cb.abort(); };
    for (int p = 0; p < producers; ++p) {
      st.spawn([cb, run] {
        for (;;) {
          Status s = cb.call(napix_test::Counted());
          run->statuses.add(s);
          if (s != Status::ok) return;
        }
      });
    }
  };
  if (form == "typed") {
    flood(TypedThreadSafeCallback<void(napix_test::Counted)>(fn));
  } else {
    flood(ThreadSafeCallback(fn));
  }
  return env.Undefined();
}

Napi::Value abort_callback(const Napi::CallbackInfo& info) {
  g_run->js_calls++;
  if (g_abort) g_abort();
  g_abort = nullptr;  // the callback's last handle goes with it
  return info.Env().Undefined();
}

Napi::Value abort_report(const Napi::CallbackInfo& info) { return report(info.Env()); }

template <class T>  // T: R (exceptions on) or Result<R> (off)
std::string describe(std::future<T>& f) {
  if (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return "pending";
#if NAPIX_EXCEPTIONS
  try {
    f.get();
    return "value";
  } catch (const napix::QueueFullError& e) {
    return std::string("QueueFullError:") + e.code() + ":" + e.what();
  } catch (const napix::ClosingError& e) {
    return std::string("ClosingError:") + e.what();
  } catch (const napix::JsError& e) {
    return "JsError:" + e.name() + ":" + e.message();
  }
#else
  auto r = f.get();
  return r ? "value" : "Result:" + r.error().code + ":" + r.error().message;
#endif
}

// asyncOnFullQueue(form): on the JS thread, max_queue = 1 holds one call; a second, made with
// call_async/send_async, cannot wait there: its future must say queue_full, at once.
Napi::Value async_on_full_queue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string form = info[0].As<Napi::String>().Utf8Value();
  napix::ChannelOptions o;
  o.max_queue = 1;
  Napi::Function fn = Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return i.Env().Undefined(); });
  std::string out;
  if (form == "channel") {
    Channel ch(env, o);
    ch.send([](Napi::Env) {});
    auto f = ch.send_async([](Napi::Env) { return 1; });
    out = describe(f);
  } else if (form == "typed") {
    TypedThreadSafeCallback<int()> cb(fn, o);
    cb.call();
    auto f = cb.call_async();
    out = describe(f);
  } else {
    ThreadSafeCallback cb(fn, o);
    cb.call();
    auto f = cb.call_async<int>();
    out = describe(f);
  }
  return Napi::String::New(env, out);
}

}  // namespace

// An argument whose to_js fails: a TypeError thrown (exceptions on) or left pending (off).
struct Unconvertible {};
template <>
struct napix::Converter<Unconvertible> {
  static Napi::Value to_js(Napi::Env env, const Unconvertible&) {
    napix::throw_js(env, napix::Error::type_error("Unconvertible has no JavaScript form"));
    return Napi::Value();
  }
};

namespace {

// badArgumentAsync(form, fn) -> Promise<string>: a thread calls fn(Unconvertible) with call_async
// and reports what its future got: the conversion's TypeError, in both modes.
Napi::Value bad_argument_async(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string form = info[0].As<Napi::String>().Utf8Value();
  Napi::Function fn = info[1].As<Napi::Function>();
  auto [deferred, promise] = napix::promise(env);
  Channel reply(env);
  auto finish = [reply](napix::Deferred d, std::string what) {
    reply.settle_with(std::move(d), [what](Napi::Env) { return what; });
  };
  if (form == "typed") {
    TypedThreadSafeCallback<void(Unconvertible)> cb(fn);
    state(env).spawn([cb, finish, d = std::move(deferred)]() mutable {
      auto f = cb.call_async(Unconvertible{});
      f.wait();
      finish(std::move(d), describe(f));
    });
  } else {
    ThreadSafeCallback cb(fn);
    state(env).spawn([cb, finish, d = std::move(deferred)]() mutable {
      auto f = cb.call_async<void>(Unconvertible{});
      f.wait();
      finish(std::move(d), describe(f));
    });
  }
  return promise;
}

}  // namespace

void init_delivery(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
  napix_test::add(o, "abortFromThread", abort_from_thread);
  napix_test::add(o, "abortInFirstOfBatch", abort_in_first_of_batch);
  napix_test::add(o, "floodAndAbortFromJs", flood_and_abort_from_js);
  napix_test::add(o, "abortCallback", abort_callback);
  napix_test::add(o, "abortReport", abort_report);
  napix_test::add(o, "asyncOnFullQueue", async_on_full_queue);
  napix_test::add(o, "badArgumentAsync", bad_argument_async);
  exports.Set("delivery", o);
}
