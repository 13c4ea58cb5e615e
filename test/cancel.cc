// Test functions for napix/cancel.h: CancelToken (from an AbortSignal, on native threads, in a
// task) and the deadlines of send_sync_for / call_sync_for.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <memory>
#include <vector>

#include "common.h"

namespace {

using napix::CancelToken;
using napix_test::counters;
using napix_test::int_arg;
using napix_test::state;
using Clock = std::chrono::steady_clock;

// watchSignal(signal): a native thread waits (polling cancelled(), bounded by 10 s) until the
// token made from `signal` is cancelled; the promise resolves with {seen, callbacks, onJsThread}:
// whether the thread saw it, how many times an on_cancel callback ran, and whether it ran on the
// JS thread (the signal aborts there).
Napi::Value watch_signal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napix::Fallible<CancelToken> token = napix::from_js<CancelToken>(info[0]);
#if !NAPIX_EXCEPTIONS
  if (!token) {
    napix::throw_js(env, token.error());
    return env.Undefined();
  }
  CancelToken t = *token;
#else
  CancelToken t = token;
#endif
  struct Seen {
    std::atomic<int> callbacks{0};
    std::atomic<bool> on_js_thread{false};
  };
  auto seen = std::make_shared<Seen>();
  const std::thread::id js = std::this_thread::get_id();
  auto reg = std::make_shared<napix::CancelRegistration>(t.on_cancel([seen, js] {
    seen->callbacks++;
    seen->on_js_thread = std::this_thread::get_id() == js;
  }));
  napix::Channel channel(env);
  auto [d, p] = napix::promise(env);
  state(env).spawn([t, seen, reg, channel, d = std::move(d)]() mutable {
    const auto end = Clock::now() + std::chrono::seconds(10);
    while (!t.cancelled() && Clock::now() < end) std::this_thread::yield();
    bool saw = t.cancelled();
    channel.settle_with(std::move(d), [saw, seen, reg](Napi::Env env) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("seen", saw);
      o.Set("callbacks", seen->callbacks.load());
      o.Set("onJsThread", seen->on_js_thread.load());
      return o;
    });
  });
  return p;
}

// tokenOf(value): from_js<CancelToken>(value) → {cancelled} (a TypeError for a non-signal).
Napi::Value token_of(const Napi::CallbackInfo& info) {
  napix::Fallible<CancelToken> token = napix::from_js<CancelToken>(info[0]);
#if NAPIX_EXCEPTIONS
  return Napi::Boolean::New(info.Env(), token.cancelled());
#else
  if (!token) {
    napix::throw_js(info.Env(), token.error());
    return info.Env().Undefined();
  }
  return Napi::Boolean::New(info.Env(), token->cancelled());
#endif
}

// onCancelOnce(threads): `threads` threads race to cancel one token with 3 callbacks registered
// (one of them unregistered before the race), then register one more after it. Returns
// {runs: [..], dropped, late, rightThread}: run counts per callback, the unregistered one's
// count, the late one's count, and whether each callback ran on a thread that called cancel().
Napi::Value on_cancel_once(const Napi::CallbackInfo& info) {
  int threads = int_arg(info, 0, 4);
  CancelToken token;
  std::atomic<int> runs[3] = {{0}, {0}, {0}}, dropped{0}, late{0};
  std::atomic<bool> wrong_thread{false};
  std::mutex ids_mutex;
  std::vector<std::thread::id> cancellers;
  auto check_thread = [&] {
    std::lock_guard<std::mutex> lock(ids_mutex);
    bool found = false;
    for (auto id : cancellers) found = found || id == std::this_thread::get_id();
    if (!found) wrong_thread = true;
  };
  std::vector<napix::CancelRegistration> regs;
  for (int i = 0; i < 3; ++i) {
    regs.push_back(token.on_cancel([&, i] {
      check_thread();
      runs[i]++;
    }));
  }
  {
    napix::CancelRegistration gone = token.on_cancel([&] { dropped++; });
  }  // unregistered here, before any cancel
  std::atomic<bool> go{false};
  std::vector<std::thread> racers;
  for (int t = 0; t < threads; ++t) {
    racers.emplace_back([&] {
      {
        std::lock_guard<std::mutex> lock(ids_mutex);
        cancellers.push_back(std::this_thread::get_id());
      }
      while (!go.load()) std::this_thread::yield();
      token.cancel();
      CancelToken copy = token;
      copy.cancel();
    });
  }
  while (true) {
    std::lock_guard<std::mutex> lock(ids_mutex);
    if (int(cancellers.size()) == threads) break;
  }
  go = true;
  for (auto& r : racers) r.join();
  std::thread::id here = std::this_thread::get_id();
  bool late_here = false;
  napix::CancelRegistration after = token.on_cancel([&] {
    late++;
    late_here = std::this_thread::get_id() == here;
  });
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  Napi::Array a = Napi::Array::New(env, 3);
  for (uint32_t i = 0; i < 3; ++i) a.Set(i, runs[i].load());
  o.Set("runs", a);
  o.Set("dropped", dropped.load());
  o.Set("late", late.load());
  o.Set("lateHere", late_here);
  o.Set("rightThread", !wrong_thread.load());
  o.Set("cancelled", token.cancelled());
  return o;
}

// unregisterWaits(): a callback running on the cancelling thread is unregistered from another
// thread: the registration's destructor returns only after the callback returned. Returns
// {finishedFirst, selfUnregister}: the order seen, and that a callback destroying its own
// registration (on the cancelling thread) neither deadlocks nor runs twice.
Napi::Value unregister_waits(const Napi::CallbackInfo& info) {
  CancelToken token;
  std::atomic<bool> entered{false}, release{false}, finished{false};
  auto reg = std::make_unique<napix::CancelRegistration>(token.on_cancel([&] {
    entered = true;
    while (!release.load()) std::this_thread::yield();
    finished = true;
  }));
  std::thread canceller([&] { token.cancel(); });
  while (!entered.load()) std::this_thread::yield();
  bool finished_first = false;
  std::thread unregister([&] {
    reg.reset();  // waits for the running callback
    finished_first = finished.load();
  });
  release = true;
  unregister.join();
  canceller.join();

  CancelToken other;
  std::atomic<int> self_runs{0};
  auto self = std::make_shared<napix::CancelRegistration>();
  *self = other.on_cancel([&self_runs, self] {
    self_runs++;
    self->reset();  // from inside itself, on the cancelling thread: returns at once
  });
  std::thread([&] { other.cancel(); }).join();
  self->reset();

  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("finishedFirst", finished_first);
  o.Set("selfRuns", self_runs.load());
  return o;
}

// taskToken(signal): a task whose execute waits (bounded) for ctx.token() to be cancelled, from a
// token copy handed to a second native thread, and counts its on_cancel runs. JS aborts the
// signal once taskStarted() is true. The promise rejects (AbortError); taskResult() then says
// what the execute saw.
struct TaskSeen {
  std::atomic<bool> started{false}, token_seen{false}, ctx_seen{false}, other_thread_seen{false};
  std::atomic<int> callbacks{0};
  std::atomic<bool> done{false};
};
TaskSeen& task_seen() {
  static auto* s = new TaskSeen();
  return *s;
}

Napi::Value task_token(const Napi::CallbackInfo& info) {
  TaskSeen& s = task_seen();
  s.started = false, s.token_seen = false, s.ctx_seen = false, s.other_thread_seen = false;
  s.callbacks = 0, s.done = false;
  return napix::task(info.Env(), [&s](napix::TaskContext& ctx) {
           CancelToken token = ctx.token();
           napix::CancelRegistration reg = token.on_cancel([&s] { s.callbacks++; });
           std::thread other([token, &s] {
             const auto end = Clock::now() + std::chrono::seconds(10);
             while (!token.cancelled() && Clock::now() < end) std::this_thread::yield();
             s.other_thread_seen = token.cancelled();
           });
           s.started = true;
           const auto end = Clock::now() + std::chrono::seconds(10);
           while (!token.cancelled() && Clock::now() < end) std::this_thread::yield();
           s.token_seen = token.cancelled();
           s.ctx_seen = ctx.cancelled();
           other.join();
           s.done = true;
           return 1;
         })
      .signal(info[0])
      .promise();
}

Napi::Value task_started(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), task_seen().started.load());
}

Napi::Value task_result(const Napi::CallbackInfo& info) {
  TaskSeen& s = task_seen();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("done", s.done.load());
  o.Set("tokenSeen", s.token_seen.load());
  o.Set("ctxSeen", s.ctx_seen.load());
  o.Set("otherThreadSeen", s.other_thread_seen.load());
  o.Set("callbacks", s.callbacks.load());
  return o;
}

// tokenCancelsCtx(): a task cancelling its own token sees ctx.cancelled(); resolves with it.
Napi::Value token_cancels_ctx(const Napi::CallbackInfo& info) {
  return napix::task(info.Env(), [](napix::TaskContext& ctx) {
           bool before = ctx.cancelled();
           ctx.token().cancel();
           return !before && ctx.cancelled();
         })
      .promise();
}

// What a timed call gave: "timeout:<code>", "value:<n>", or another error.
template <class R>
std::string describe(napix::Fallible<R>&& r) {
#if NAPIX_EXCEPTIONS
  return "value:" + std::to_string(r);
#else
  if (!r) return r.error().name + ":" + r.error().code;
  return "value:" + std::to_string(*r);
#endif
}

template <class F>
std::string timed(F&& f) {
#if NAPIX_EXCEPTIONS
  try {
    return f();
  } catch (const napix::TimeoutError& e) {
    return std::string("TimeoutError:") + e.code();
  } catch (const std::exception& e) {
    return std::string("other:") + e.what();
  }
#else
  return f();
#endif
}

// deadlineUnstarted(kind, ms): a native thread makes a timed call ('send' = send_sync_for,
// 'call' = call_sync_for with a Counted argument, 'typed' = the same through
// TypedThreadSafeCallback) while this JS thread waits for it, so the call cannot start. Returns {result, elapsed} (ms, as the thread measured). The queued item is
// drained later: counters() then show whether it ran or was destroyed unrun.
Napi::Value deadline_unstarted(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  int ms = int_arg(info, 1);
  counters().reset();
  napix::Channel channel(env);
  napix::ThreadSafeCallback cb(Napi::Function::New(env, [](const Napi::CallbackInfo& i) {
    counters().ran++;  // JS saw the call: must never happen here
    return i.Env().Undefined();
  }));
  napix::TypedThreadSafeCallback<int(napix_test::Counted)> typed(
      Napi::Function::New(env, [](const Napi::CallbackInfo& i) {
        counters().ran++;
        return i.Env().Undefined();
      }));
  std::string result;
  double elapsed = 0;
  std::thread([&] {
    const auto start = Clock::now();
    result = timed([&] {
      if (kind == "send") {
        return describe<int>(channel.send_sync_for(std::chrono::milliseconds(ms),
                                                   [t = napix_test::Tracker()](Napi::Env) mutable {
                                                     t.ran();
                                                     return 1;
                                                   }));
      }
      if (kind == "typed") {
        return describe<int>(typed.call_sync_for(std::chrono::milliseconds(ms), napix_test::Counted()));
      }
      return describe<int>(cb.call_sync_for<int>(std::chrono::milliseconds(ms), napix_test::Counted()));
    });
    elapsed = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }).join();
  Napi::Object o = Napi::Object::New(env);
  o.Set("result", result);
  o.Set("elapsed", elapsed);
  return o;
}

// counters(): {ran, dropped}.
Napi::Value get_counters(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("ran", double(counters().ran.load()));
  o.Set("dropped", double(counters().dropped.load()));
  return o;
}

// deadlineRunning(fn, ms, typed): a native thread's call_sync_for(ms) of `fn` (which returns a
// promise it settles later; typed: through TypedThreadSafeCallback<int(int)>): the call runs but
// its result comes too late. Resolves with {result, elapsed}.
Napi::Value deadline_running(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napix::ThreadSafeCallback cb(info[0].As<Napi::Function>());
  napix::TypedThreadSafeCallback<int(int)> typed_cb(info[0].As<Napi::Function>());
  int ms = int_arg(info, 1);
  const bool typed = info[2].ToBoolean();
  napix::Channel channel(env);
  auto [d, p] = napix::promise(env);
  state(env).spawn([cb, typed_cb, typed, ms, channel, d = std::move(d)]() mutable {
    const auto start = Clock::now();
    std::string result = timed([&] {
      return describe<int>(typed ? typed_cb.call_sync_for(std::chrono::milliseconds(ms), 7)
                                 : cb.call_sync_for<int>(std::chrono::milliseconds(ms), 7));
    });
    double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    channel.settle_with(std::move(d), [result, elapsed](Napi::Env env) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("result", result);
      o.Set("elapsed", elapsed);
      return o;
    });
  });
  return p;
}

// deadlineReuse(fn): a thread keeps its TimedCall across calls that complete, and hands it to the
// queued half of one it gave up on. On one thread: call_sync_for(fn) in time (1, 2), timed out
// while running (99: fn returns a promise it never settles in time) and in time again (3):
// `results`, and the thread's TimedCall<int> after each (`kept`: the same after 1 and 2;
// `handedOver`: none after 99; `fresh`: a new one after 3).
Napi::Value deadline_reuse(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napix::ThreadSafeCallback cb(info[0].As<Napi::Function>());
  napix::Channel channel(env);
  auto [d, p] = napix::promise(env);
  state(env).spawn([cb, channel, d = std::move(d)]() mutable {
    using Timed = napix::detail::TimedCall<int>;
    const bool none_at_start = Timed::current() == nullptr;
    std::vector<std::string> results;
    std::vector<const Timed*> after;
    for (int x : {1, 2, 99, 3}) {
      const auto timeout = x == 99 ? std::chrono::milliseconds(50) : std::chrono::milliseconds(10000);
      results.push_back(timed([&] { return describe<int>(cb.call_sync_for<int>(timeout, x)); }));
      after.push_back(Timed::current());
    }
    const bool kept = after[0] != nullptr && after[1] == after[0];
    const bool handed_over = after[2] == nullptr;
    const bool fresh = after[3] != nullptr;
    channel.settle_with(std::move(d), [=](Napi::Env env) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("noneAtStart", none_at_start);
      o.Set("kept", kept);
      o.Set("handedOver", handed_over);
      o.Set("fresh", fresh);
      Napi::Array a = Napi::Array::New(env, results.size());
      for (std::uint32_t i = 0; i < results.size(); ++i) a.Set(i, results[i]);
      o.Set("results", a);
      return o;
    });
  });
  return p;
}

// deadlineRace(fn, threads, calls, timeoutUs): `threads` native threads each make `calls` timed
// calls of fn(x), x unique per call, cycling through call_sync_for, the typed call_sync_for and
// send_sync_for (its closure calls fn too), with a deadline short enough that many calls time out
// queued, running or just as they finish. {values, timeouts, wrong, other}: calls that gave
// 2 * x, TimeoutErrors, values that were not their own call's (a TimedCall reused while an old
// call could still complete into it), anything else.
Napi::Value deadline_race(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napix::ThreadSafeCallback cb(info[0].As<Napi::Function>());
  napix::TypedThreadSafeCallback<int(int)> typed_cb(info[0].As<Napi::Function>());
  napix::Persistent<Napi::Function> fn(info[0].As<Napi::Function>());
  const int threads = int_arg(info, 1);
  const int calls = int_arg(info, 2);
  const auto timeout = std::chrono::microseconds(int_arg(info, 3));
  napix::Channel channel(env);
  struct Tally {
    std::atomic<int> values{0}, timeouts{0}, wrong{0}, other{0}, left;
  };
  auto tally = std::make_shared<Tally>();
  tally->left = threads;
  auto [d, p] = napix::promise(env);
  auto deferred = std::make_shared<napix::Deferred>(std::move(d));
  for (int t = 0; t < threads; ++t) {
    state(env).spawn([=]() mutable {
      for (int i = 0; i < calls; ++i) {
        const int x = t * calls + i;
        std::string r = timed([&] {
          switch (i % 3) {
            case 0: return describe<int>(cb.call_sync_for<int>(timeout, x));
            case 1: return describe<int>(typed_cb.call_sync_for(timeout, x));
            default:
              return describe<int>(channel.send_sync_for(timeout, [fn, x](Napi::Env) {
                return fn.value().Call({Napi::Number::New(fn.value().Env(), x)}).ToNumber().Int32Value();
              }));
          }
        });
        if (r == "value:" + std::to_string(2 * x)) tally->values++;
        else if (r == "TimeoutError:ERR_NAPIX_TIMEOUT") tally->timeouts++;
        else if (r.rfind("value:", 0) == 0) tally->wrong++;
        else tally->other++;
      }
      if (--tally->left == 0) {
        channel.settle_with(std::move(*deferred), [tally](Napi::Env env) {
          Napi::Object o = Napi::Object::New(env);
          o.Set("values", tally->values.load());
          o.Set("timeouts", tally->timeouts.load());
          o.Set("wrong", tally->wrong.load());
          o.Set("other", tally->other.load());
          return o;
        });
      }
    });
  }
  return p;
}

// deadlineInTime(fn, ms): send_sync_for, call_sync_for and the typed call_sync_for that complete
// well within `ms`: {send, call, typed} results.
Napi::Value deadline_in_time(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napix::ThreadSafeCallback cb(info[0].As<Napi::Function>());
  napix::TypedThreadSafeCallback<int(int)> typed_cb(info[0].As<Napi::Function>());
  int ms = int_arg(info, 1);
  napix::Channel channel(env);
  auto [d, p] = napix::promise(env);
  state(env).spawn([cb, typed_cb, ms, channel, d = std::move(d)]() mutable {
    std::string send = timed([&] {
      return describe<int>(channel.send_sync_for(std::chrono::milliseconds(ms), [](Napi::Env) { return 5; }));
    });
    std::string call = timed([&] { return describe<int>(cb.call_sync_for<int>(std::chrono::milliseconds(ms), 20)); });
    std::string typed = timed([&] { return describe<int>(typed_cb.call_sync_for(std::chrono::milliseconds(ms), 21)); });
    channel.settle_with(std::move(d), [send, call, typed](Napi::Env env) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("send", send);
      o.Set("call", call);
      o.Set("typed", typed);
      return o;
    });
  });
  return p;
}

// onJsThread(): send_sync_for on the JS thread fails at once and never runs the closure.
Napi::Value on_js_thread(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napix::Channel channel(env);
  bool ran = false;
  std::string result;
#if NAPIX_EXCEPTIONS
  try {
    channel.send_sync_for(std::chrono::seconds(1), [&ran](Napi::Env) {
      ran = true;
      return 1;
    });
    result = "no error";
  } catch (const std::logic_error& e) {
    result = std::string("logic_error:") + e.what();
  }
#else
  napix::Result<int> r = channel.send_sync_for(std::chrono::seconds(1), [&ran](Napi::Env) {
    ran = true;
    return 1;
  });
  result = r ? "no error" : "error:" + r.error().code;
#endif
  Napi::Object o = Napi::Object::New(env);
  o.Set("result", result);
  o.Set("ran", ran);
  return o;
}

// timeoutToJs(): a TimeoutError thrown where napix turns C++ errors into JS ones (a Deferred's
// settle_with) carries its name and code to JS. Exceptions off: a Result holding the same Error.
Napi::Value timeout_to_js(const Napi::CallbackInfo& info) {
  auto [d, p] = napix::promise(info.Env());
#if NAPIX_EXCEPTIONS
  d.settle_with([](Napi::Env) -> int { throw napix::TimeoutError(); });
#else
  d.settle_with([](Napi::Env) -> napix::Result<int> {
    return napix::Error(napix::kTimeoutErrorName, napix::TimeoutError().what(), napix::kTimeoutCode);
  });
#endif
  return p;
}

// doc/cancel.md
// scan(signal) -> Promise<number>: a native thread works until done or until JS aborts `signal`.
Napi::Value scan(const Napi::CallbackInfo& info) {
#if NAPIX_EXCEPTIONS
  napix::CancelToken cancel = napix::from_js<napix::CancelToken>(info[0]);  // TypeError if not a signal
#else
  napix::Result<napix::CancelToken> token = napix::from_js<napix::CancelToken>(info[0]);
  if (!token) {
    napix::throw_js(info.Env(), token.error());  // a TypeError naming what it got
    return info.Env().Undefined();
  }
  napix::CancelToken cancel = *token;
#endif
  auto [deferred, promise] = napix::promise(info.Env());
  napix::Channel channel(info.Env());
  std::thread([channel, cancel, deferred = std::move(deferred)]() mutable {
    double steps = 0;
    while (!cancel.cancelled() && steps < 1e9) steps += 1;
    channel.settle_with(std::move(deferred), [steps](Napi::Env) { return steps; });
  }).detach();
  return promise;
}

}  // namespace

void init_cancel(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
  napix_test::add(o, "watchSignal", watch_signal);
  napix_test::add(o, "tokenOf", token_of);
  napix_test::add(o, "onCancelOnce", on_cancel_once);
  napix_test::add(o, "unregisterWaits", unregister_waits);
  napix_test::add(o, "taskToken", task_token);
  napix_test::add(o, "taskStarted", task_started);
  napix_test::add(o, "taskResult", task_result);
  napix_test::add(o, "tokenCancelsCtx", token_cancels_ctx);
  napix_test::add(o, "deadlineUnstarted", deadline_unstarted);
  napix_test::add(o, "counters", get_counters);
  napix_test::add(o, "deadlineRunning", deadline_running);
  napix_test::add(o, "deadlineInTime", deadline_in_time);
  napix_test::add(o, "deadlineReuse", deadline_reuse);
  napix_test::add(o, "deadlineRace", deadline_race);
  napix_test::add(o, "onJsThread", on_js_thread);
  napix_test::add(o, "timeoutToJs", timeout_to_js);
  napix_test::add(o, "scan", scan);
  exports.Set("cancel", o);
}
