// Test functions for napix/persistent.h: Persistent<T> held, copied and dropped on native threads.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common.h"

namespace {

using napix::Persistent;
using napix_test::int_arg;
using napix_test::state;

// A gate native threads wait at until JS opens it (no sleeping).
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait(lock, [this] { return open; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mutex);
    open = true;
    cv.notify_all();
  }
};

std::shared_ptr<Gate>& hold_gate() {
  static auto* gate = new std::shared_ptr<Gate>();
  return *gate;
}

const std::shared_ptr<napix::detail::PersistentRefs>& refs(Napi::Env env) {
  return napix::detail::env_entry(env).persistent_refs();
}

// holdOnThread(value): a native thread holds the only Persistent to `value` until
// releaseHeld(); then it drops it there. Returns nothing: JS keeps no reference of its own.
Napi::Value hold_on_thread(const Napi::CallbackInfo& info) {
  auto gate = std::make_shared<Gate>();
  hold_gate() = gate;
  Persistent<> p(info[0]);
  state(info.Env()).spawn([p = std::move(p), gate]() mutable {
    gate->wait();
    p.reset();  // the last copy, dropped on this native thread
  });
  return info.Env().Undefined();
}

Napi::Value release_held(const Napi::CallbackInfo& info) {
  if (hold_gate()) hold_gate()->release();
  return info.Env().Undefined();
}

// stats(): {live, flushes} of this environment's Persistent references.
Napi::Value stats(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("live", double(refs(info.Env())->live()));
  o.Set("flushes", double(refs(info.Env())->flushes()));
  return o;
}

// copyDrop(value, threads, perThread): each thread copies one shared Persistent perThread times
// (copy-construct, copy-assign, move) and drops every copy; joined here. Returns how many copies
// the threads made; the original is then dropped on this JS thread.
Napi::Value copy_drop(const Napi::CallbackInfo& info) {
  int threads = int_arg(info, 1), per_thread = int_arg(info, 2);
  Persistent<> p(info[0]);
  std::atomic<long> copies{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&p, &copies, per_thread] {
      Persistent<> mine = p;
      for (int i = 0; i < per_thread; ++i) {
        Persistent<> a(mine);
        Persistent<> b;
        b = a;
        Persistent<> c(std::move(b));
        if (!b.empty() || c.empty()) std::abort();
        copies++;
      }
    });
  }
  for (auto& w : workers) w.join();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("copies", double(copies.load()));
  o.Set("same", p.value() == info[0]);  // still held, still the same value
  return o;
}

// dropOnThread(n, value?): n Persistents made here (of `value`, or of fresh objects), dropped on
// one native thread while this JS thread waits for it: every release is queued before JS can run.
Napi::Value drop_on_thread(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int n = int_arg(info, 0);
  auto held = std::make_unique<std::vector<Persistent<>>>();
  held->reserve(n);
  for (int i = 0; i < n; ++i) {
    held->emplace_back(info.Length() > 1 ? info[1] : Napi::Object::New(env).As<Napi::Value>());
  }
  std::thread([held = std::move(held)]() mutable { held.reset(); }).join();
  return env.Undefined();
}

// valueInClosure(value, fn): a native thread sends a Channel closure that captured a Persistent
// of `value` (and one of `fn`) by value; the closure calls fn(p.value()) on the JS thread.
Napi::Value value_in_closure(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napix::Channel channel(env);
  Persistent<> value(info[0]);
  Persistent<Napi::Function> fn(info[1].As<Napi::Function>());
  state(env).spawn([channel, value, fn] {
    channel.send([value, fn](Napi::Env) { fn.value().Call({value.value()}); });
  });
  return env.Undefined();
}

// primitive(value): a Persistent of any JS value, primitives included; gives it back.
Napi::Value primitive(const Napi::CallbackInfo& info) {
  Persistent<> p(info[0]);
  Persistent<> copy = p;
  return copy.value();
}

// misuse(kind): value() off the JS thread ('thread') or on an empty Persistent ('empty').
// Exceptions on: the std::logic_error's message; off: a fatal error (run in a child process).
Napi::Value misuse(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  Persistent<> p(Napi::Object::New(env));
  std::string result = "no error";
  auto attempt = [&result](const Persistent<>& q) {
#if NAPIX_EXCEPTIONS
    try {
      q.value();
    } catch (const std::logic_error& e) {
      result = e.what();
    }
#else
    q.value();  // fatal
#endif
  };
  if (kind == "thread") std::thread([&] { attempt(p); }).join();
  if (kind == "empty") attempt(Persistent<>());
  return Napi::String::New(env, result);
}

// --- Worker teardown: native threads keep holding, copying and dropping Persistents of a
// Worker's environment after it is gone. Process-wide: the threads outlive the Worker.
struct Holders {
  std::atomic<bool> stop{false};
  std::atomic<long> started{0}, rounds{0};
  std::mutex mutex;
  std::vector<std::thread> threads;
};
Holders& holders() {
  static auto* h = new Holders();
  return *h;
}

// startHolders(threads): in a Worker — each thread gets 50 Persistents of fresh objects and keeps
// copying and dropping them (one copy at a time, the originals stay) until stopHolders().
Napi::Value start_holders(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int threads = int_arg(info, 0);
  Holders& h = holders();
  for (int t = 0; t < threads; ++t) {
    std::vector<Persistent<>> mine;
    for (int i = 0; i < 50; ++i) mine.emplace_back(Napi::Object::New(env));
    std::lock_guard<std::mutex> lock(h.mutex);
    h.threads.emplace_back([mine = std::move(mine), &h]() mutable {
      h.started++;
      while (!h.stop.load()) {
        for (auto& p : mine) {
          Persistent<> copy = p;
          Persistent<> other = std::move(copy);
        }
        // Drop one original now and then: its release goes through the (maybe dead) queue.
        if (!mine.empty() && h.rounds.fetch_add(1) % 16 == 0) mine.pop_back();
      }
    });
  }
  return env.Undefined();
}

// holdersStarted(): how many holder threads run.
Napi::Value holders_started(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(holders().started.load()));
}

// stopHolders(): main thread — stop and join every holder (each drops what it still holds).
Napi::Value stop_holders(const Napi::CallbackInfo& info) {
  Holders& h = holders();
  h.stop = true;
  std::vector<std::thread> all;
  {
    std::lock_guard<std::mutex> lock(h.mutex);
    all.swap(h.threads);
  }
  for (auto& t : all) t.join();
  h.stop = false;  // ready for the next round
  return Napi::Number::New(info.Env(), double(all.size()));
}

// doc/persistent.md
// keepFor(value, fn): a native thread keeps `value` alive, then hands it back to JS through a
// Channel closure that captured the Persistents by value. No napi_ref is touched off the JS thread.
Napi::Value keep_for(const Napi::CallbackInfo& info) {
  napix::Channel channel(info.Env());
  napix::Persistent<> value(info[0]);
  napix::Persistent<Napi::Function> fn(info[1].As<Napi::Function>());
  std::thread([channel, value, fn] {
    // ... long native work; `value` cannot be collected meanwhile ...
    channel.send([value, fn](Napi::Env) { fn.value().Call({value.value()}); });
  }).detach();
  return info.Env().Undefined();
}

}  // namespace

void init_persistent(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
  napix_test::add(o, "holdOnThread", hold_on_thread);
  napix_test::add(o, "releaseHeld", release_held);
  napix_test::add(o, "stats", stats);
  napix_test::add(o, "copyDrop", copy_drop);
  napix_test::add(o, "dropOnThread", drop_on_thread);
  napix_test::add(o, "valueInClosure", value_in_closure);
  napix_test::add(o, "primitive", primitive);
  napix_test::add(o, "misuse", misuse);
  napix_test::add(o, "startHolders", start_holders);
  napix_test::add(o, "holdersStarted", holders_started);
  napix_test::add(o, "stopHolders", stop_holders);
  napix_test::add(o, "keepFor", keep_for);
  exports.Set("persistent", o);
}
