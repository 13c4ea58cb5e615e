// event-stream — a native producer thread whose events JavaScript reads with `for await`
// (stream.js wraps this class in an async iterator).
//
//   new Producer(count, window, onEvent)  starts the thread: onEvent(seq, value) for each event,
//                                         then onEvent() with no arguments at the end
//   producer.taken()                      the consumer took one event: the thread may send another
//   producer.stop()                       stops the thread and joins it (break / return() calls it)
//   producer.keepAlive(bool)              whether the stream keeps the event loop alive
//   producer.produced                     how many events the thread has sent so far
//
// Back-pressure: at most `window` events are sent and not yet taken; then the thread waits.
// The stream starts unref'ed: stream.js keeps it alive only while a `for await` waits for an
// event, so an abandoned iterator never keeps the process alive.
#include <napix.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace {

class Producer : public Napi::ObjectWrap<Producer> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "Producer",
                       {InstanceMethod<&Producer::taken>("taken"),
                        InstanceMethod<&Producer::stop>("stop"),
                        InstanceMethod<&Producer::keep_alive>("keepAlive"),
                        InstanceAccessor<&Producer::produced>("produced")});
  }

  explicit Producer(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<Producer>(info),
        credits_(napix::from_js<std::uint32_t>(info[1])),
        // Options {name, max_queue, keep_alive}: unbounded (the credits bound it), unref'ed.
        on_event_(napix::from_js<Napi::Function>(info[2]), {"event-stream", 0, false}) {
    auto count = napix::from_js<std::uint32_t>(info[0]);
    thread_ = std::thread([this, count] { run(count); });
  }

  // Garbage collected (or the environment torn down) without stop(): the same clean stop.
  ~Producer() override { stop_and_join(); }

 private:
  // The producer thread. It uses on_event_ (its methods are thread-safe) until stop() joins it.
  void run(std::uint32_t count) {
    for (std::uint32_t seq = 0; seq < count; ++seq) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        room_.wait(lock, [this] { return stopping_ || credits_ > 0; });  // back-pressure
        if (stopping_) return;
        --credits_;
      }
      double value = std::sqrt(static_cast<double>(seq));  // stands in for real work
      // Never blocks (the queue is unbounded; the credits bound it). `closing`: JS is gone.
      if (on_event_.call(seq, value) != napix::Status::ok) return;
      produced_.fetch_add(1, std::memory_order_relaxed);
    }
    on_event_.call();  // no arguments: the end of the stream
  }

  Napi::Value taken(const Napi::CallbackInfo& info) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++credits_;
    }
    room_.notify_one();
    return info.Env().Undefined();
  }

  Napi::Value stop(const Napi::CallbackInfo& info) {
    stop_and_join();
    return info.Env().Undefined();
  }

  Napi::Value keep_alive(const Napi::CallbackInfo& info) {
    if (napix::from_js<bool>(info[0])) on_event_.ref(); else on_event_.unref();  // JS thread only
    return info.Env().Undefined();
  }

  // Joining on the JS thread is safe only because the thread never waits for the JS thread: it
  // waits for credits (woken here) and its calls never block. Then abort() drops the events
  // still queued for JS and lets go of the JS function.
  void stop_and_join() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    room_.notify_all();
    if (thread_.joinable()) thread_.join();
    on_event_.abort();
  }

  Napi::Value produced(const Napi::CallbackInfo& info) {
    return napix::to_js(info.Env(), produced_.load(std::memory_order_relaxed));
  }

  std::mutex mutex_;
  std::condition_variable room_;
  std::uint32_t credits_ = 0;  // events the thread may still send before one is taken
  bool stopping_ = false;
  std::atomic<std::uint32_t> produced_{0};
  napix::ThreadSafeCallback on_event_;
  std::thread thread_;  // last: started once everything it uses is initialized
};

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("Producer", Producer::define(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, init)
