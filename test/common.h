// Shared by the test addon's sources: each test/<concept>.cc registers its functions through an
// init_<concept>(env, exports) declared here, and binding.cc calls them all.
#pragma once

#include <napix.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

// Each sets exports.<concept> to an object of test functions.
void init_error(Napi::Env env, Napi::Object exports);
void init_convert(Napi::Env env, Napi::Object exports);
void init_doc_snippets(Napi::Env env, Napi::Object exports);
void init_doc_guides(Napi::Env env, Napi::Object exports);
void init_channel(Napi::Env env, Napi::Object exports);
void init_threadsafe_callback(Napi::Env env, Napi::Object exports);
void init_promise(Napi::Env env, Napi::Object exports);
void init_task(Napi::Env env, Napi::Object exports);
void init_stress(Napi::Env env, Napi::Object exports);
void init_delivery(Napi::Env env, Napi::Object exports);
void init_stream(Napi::Env env, Napi::Object exports);
void init_completions(Napi::Env env, Napi::Object exports);
void init_persistent(Napi::Env env, Napi::Object exports);
void init_bytes(Napi::Env env, Napi::Object exports);
void init_cancel(Napi::Env env, Napi::Object exports);
void init_reader(Napi::Env env, Napi::Object exports);
// Defines the napix::function tests on the module (top level and `fn`).
void init_function(napix::Module& m);

namespace napix {
namespace detail {
// The test addon's window into a queue (declared a friend by the napix handles).
struct Inspect {
  static std::size_t blocked(const Channel& c) { return c.core_->blocked_producers(); }
  static std::size_t blocked(const ThreadSafeCallback& c) { return blocked(c.channel_); }
  static std::shared_ptr<ChannelCore> core(const ThreadSafeCallback& c) { return c.channel_.core_.shared(); }
  template <class S>
  static std::shared_ptr<ChannelCore> core(const TypedThreadSafeCallback<S>& c) { return c.core_.shared(); }
  template <class S>
  static std::size_t blocked(const TypedThreadSafeCallback<S>& c) { return c.core_->blocked_producers(); }
  template <class T>
  static std::shared_ptr<StreamCore<T>> core(const StreamWriter<T>& w) { return w.core_.shared(); }
  template <class T>
  static std::shared_ptr<ReaderCore<T>> core(const StreamReader<T>& r) { return r.core_; }
};
}  // namespace detail
}  // namespace napix

namespace napix_test {

// Adds `fn` as `target[name]`.
inline void add(Napi::Object target, const char* name, Napi::Function::Callback fn) {
  target.Set(name, Napi::Function::New(target.Env(), fn, name));
}

// How many calls returned each napix::Status (filled by producer threads).
struct StatusCounts {
  std::atomic<long> ok{0}, queue_full{0}, closing{0};
  void add(napix::Status s) {
    (s == napix::Status::ok ? ok : s == napix::Status::queue_full ? queue_full : closing)++;
  }
  void reset() { ok = 0, queue_full = 0, closing = 0; }
  Napi::Object to_js(Napi::Env env) const {
    Napi::Object o = Napi::Object::New(env);
    o.Set("ok", double(ok.load()));
    o.Set("queue_full", double(queue_full.load()));
    o.Set("closing", double(closing.load()));
    return o;
  }
};

// Per-environment test state (node-addon-api instance data: the test addon may use it; napix
// itself never does). Freed on the JS thread at environment teardown.
struct EnvState {
  std::mutex mutex;
  std::vector<std::thread> threads;  // joined by joinThreads() once JS saw their results
  StatusCounts statuses;
  std::unordered_map<int, Napi::FunctionReference> functions;
  int next_function = 0;

  // Detached, not joined: at teardown a thread may still be finishing its last (refused) call.
  ~EnvState() {
    for (auto& t : threads) t.detach();
  }
  size_t join() {
    std::vector<std::thread> mine;
    {
      std::lock_guard<std::mutex> lock(mutex);
      mine.swap(threads);
    }
    for (auto& t : mine) t.join();
    return mine.size();
  }
  template <class F>
  void spawn(F&& f) {  // move-only callables welcome (a Deferred travels to the thread)
    std::lock_guard<std::mutex> lock(mutex);
    threads.emplace_back(std::forward<F>(f));
  }
  // Keeps `fn` alive for closures that run later on this JS thread; returns its id.
  int keep(Napi::Function fn) {
    functions.emplace(next_function, Napi::Persistent(fn));
    return next_function++;
  }
  Napi::Function function(int id) { return functions.at(id).Value(); }
};

inline EnvState& state(Napi::Env env) { return *env.GetInstanceData<EnvState>(); }

// Counts shared by every environment of the process (Workers included), so the main thread can
// account for what happened inside a Worker after it is gone. Never destroyed: native threads
// may still touch them during process exit.
struct ProcessCounters {
  std::atomic<long> attempted{0}, accepted{0}, ran{0}, dropped{0}, refused{0}, producers_done{0};
  void reset() { attempted = 0, accepted = 0, ran = 0, dropped = 0, refused = 0, producers_done = 0; }
};
inline ProcessCounters& counters() {
  static ProcessCounters* c = new ProcessCounters();
  return *c;
}

// Counts itself as `ran` or `dropped` exactly once: moved into a queued closure, it tells whether
// the closure ran or was destroyed unrun.
class Tracker {
 public:
  Tracker() = default;
  Tracker(Tracker&& o) noexcept : live_(std::exchange(o.live_, false)) {}
  Tracker& operator=(Tracker&&) = delete;
  ~Tracker() {
    if (live_) counters().dropped++;
  }
  void ran() {
    if (std::exchange(live_, false)) counters().ran++;
  }

 private:
  bool live_ = true;
};

// Counts itself `ran` when converted to JS, `dropped` when destroyed unconverted: an argument of
// a typed call that tells whether the call ran.
class Counted {
 public:
  Counted() = default;
  Counted(Counted&& o) noexcept : live_(std::exchange(o.live_, false)) {}
  Counted& operator=(Counted&&) = delete;
  ~Counted() {
    if (live_) counters().dropped++;
  }
  void converted() const {
    if (std::exchange(live_, false)) counters().ran++;
  }

 private:
  mutable bool live_ = true;
};

inline std::string show(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}
inline std::string show(int v) { return std::to_string(v); }
inline std::string show(const std::string& v) { return '"' + v + '"'; }

// Channel/callback options from an optional JS object {maxQueue, keepAlive, name} at info[i].
inline napix::ChannelOptions options_arg(const Napi::CallbackInfo& info, size_t i) {
  napix::ChannelOptions o;
  if (info.Length() > i && info[i].IsObject()) {
    Napi::Object obj = info[i].As<Napi::Object>();
    if (obj.Has("maxQueue")) o.max_queue = obj.Get("maxQueue").As<Napi::Number>().Uint32Value();
    if (obj.Has("keepAlive")) o.keep_alive = obj.Get("keepAlive").As<Napi::Boolean>().Value();
    if (obj.Has("name")) o.name = obj.Get("name").As<Napi::String>().Utf8Value();
  }
  return o;
}

inline int int_arg(const Napi::CallbackInfo& info, size_t i, int fallback = 0) {
  return info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().Int32Value() : fallback;
}

}  // namespace napix_test

template <>
struct napix::Converter<napix_test::Counted> {
  static Napi::Value to_js(Napi::Env env, const napix_test::Counted& c) {
    c.converted();
    return env.Undefined();
  }
};
