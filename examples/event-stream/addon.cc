// event-stream — a native producer thread whose events JavaScript reads with `for await`,
// through napix::stream: back-pressure, order, and a clean stop on `break` come with it.
//
//   const { events, produced, stopped } = addon.events(count, { window })
//   for await (const { seq, value } of events) { ... }   // `break` stops the producer
//   produced()                                             // events the thread has written so far
//   stopped()                                              // true once the thread has returned
#include <napix.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <memory>
#include <thread>

// One event, and how it becomes a JS object: napix converts each value on the JS thread.
struct Event {
  std::uint32_t seq;
  double value;
};

template <>
struct napix::Converter<Event> {
  static Napi::Value to_js(Napi::Env env, const Event& e) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("seq", e.seq);
    o.Set("value", e.value);
    return o;
  }
};

namespace {

Napi::Value events(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // Bad arguments are a RangeError/TypeError here, before any thread starts.
  auto count = napix::from_js<std::uint32_t>(info[0]);
  napix::StreamOptions options;
  options.name = "event-stream";
  if (info[1].IsObject()) {
    Napi::Value window = info[1].As<Napi::Object>().Get("window");
    if (!window.IsUndefined()) options.high_water_mark = napix::from_js<std::uint32_t>(window);
  }
  auto [writer, iterator] = napix::stream<Event>(env, options);
  auto produced = std::make_shared<std::atomic<std::uint32_t>>(0);
  auto stopped = std::make_shared<std::atomic<bool>>(false);

  // The producer: write() waits while `window` events are unread, and returns `closing` once the
  // reader stopped (break, return(), a throw in the loop, the iterator collected, teardown) —
  // so the thread always ends on its own and may be detached.
  std::thread([writer = writer, count, produced, stopped] {
    std::uint32_t seq = 0;
    for (; seq < count; ++seq) {
      double value = std::sqrt(static_cast<double>(seq));  // stands in for real work
      if (writer.write(Event{seq, value}) != napix::Status::ok) break;  // the reader stopped
      produced->fetch_add(1, std::memory_order_relaxed);
    }
    if (seq == count) writer.end();
    stopped->store(true, std::memory_order_release);
  }).detach();

  Napi::Object out = Napi::Object::New(env);
  out.Set("events", iterator);
  out.Set("produced", Napi::Function::New(env, [produced](const Napi::CallbackInfo& i) {
            return napix::to_js(i.Env(), produced->load(std::memory_order_relaxed));
          }));
  out.Set("stopped", Napi::Function::New(env, [stopped](const Napi::CallbackInfo& i) {
            return napix::to_js(i.Env(), stopped->load(std::memory_order_acquire));
          }));
  return out;
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("events", Napi::Function::New(env, events, "events"));
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, init)
