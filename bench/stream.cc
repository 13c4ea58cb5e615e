// Native → JS streams (issue 16), driven by bench/run.js's "stream" part. Every function starts
// one detached native producer thread and returns at once; JS times its `for await` loop.
// streamNumbers(n, hwm) -> an async iterable of 0 .. n-1 (doubles): napix::stream<double>, one
//   write() per value.
// streamNumbersTsfn(n, push) -> undefined: the hand-rolled alternative, one raw
//   napi_call_threadsafe_function per value (the integer in the data pointer: no allocation), whose
//   call-js calls push(i); then push(undefined, true) as the end marker. The JS side (run.js's
//   queue iterator) resolves one pending next() promise per value.
// streamNumbersNaa(n, push) -> undefined: the same through node-addon-api's
//   ThreadSafeFunction::NonBlockingCall(lambda), one call (and one heap closure) per value.
// streamBytes(total, chunk, hwm, copy) -> an async iterable of `total / chunk` Buffers: a
//   napix::stream<napix::Bytes> whose producer fills every byte of each chunk (memset to the
//   chunk's index) before write(). copy = true sets the Bytes test hook that forces the copying
//   path (napi_create_buffer_copy, as on a runtime that forbids external buffers) for the run:
//   the same stream, only the conversion differs.
// streamSlow(n, hwm) -> an async iterable of 0 .. n-1 for the memory scenario; streamStats()
//   -> { written, converted, maxUnread, blocked, flushes, pulls, deferred, writerSleeps } of the
//   last streamNumbers / streamSlow stream (blocked: writers waiting at the high-water mark right
//   now; flushes / pulls: batches that came by a wakeup of the JS thread / that next() pulled
//   itself; writerSleeps: writes that slept at the mark).
#include <cstring>
#include <memory>
#include <thread>

#include "napix.h"

namespace napix {
namespace detail {
// The bench's window into a stream (the test addon has its own; one per binary).
struct Inspect {
  template <class T>
  static std::shared_ptr<StreamCore<T>> core(const StreamWriter<T>& w) {
    return w.core_.shared();
  }
};
}  // namespace detail
}  // namespace napix

namespace {

// The last streamNumbers / streamSlow stream, for streamStats().
std::shared_ptr<napix::detail::StreamCore<double>> g_last;

Napi::Value StreamNumbers(const Napi::CallbackInfo& info) {
  const std::int64_t n = info[0].As<Napi::Number>().Int64Value();
  const std::size_t hwm = static_cast<std::size_t>(info[1].As<Napi::Number>().Int64Value());
  auto [writer, numbers] = napix::stream<double>(info.Env(), {hwm});
  g_last = napix::detail::Inspect::core(writer);
  std::thread([writer = writer, n] {
    for (std::int64_t i = 0; i < n; ++i) {
      if (writer.write(static_cast<double>(i)) != napix::Status::ok) return;
    }
    writer.end();
  }).detach();
  return numbers;
}

constexpr intptr_t kEnd = -1;

void tsfn_push(napi_env env, napi_value fn, void*, void* data) {
  if (env == nullptr) return;
  const intptr_t i = reinterpret_cast<intptr_t>(data);
  napi_value recv, argv[2];
  napi_get_undefined(env, &recv);
  if (i == kEnd) {
    napi_get_undefined(env, &argv[0]);
    napi_get_boolean(env, true, &argv[1]);
  } else {
    napi_create_int64(env, i, &argv[0]);
    napi_get_boolean(env, false, &argv[1]);
  }
  napi_call_function(env, recv, fn, 2, argv, nullptr);
}

Napi::Value StreamNumbersTsfn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::int64_t n = info[0].As<Napi::Number>().Int64Value();
  napi_threadsafe_function tsfn = nullptr;
  napi_status s =
      napi_create_threadsafe_function(env, info[1], nullptr, Napi::String::New(env, "bench"), 0, 1,
                                      nullptr, nullptr, nullptr, tsfn_push, &tsfn);
  if (s != napi_ok)
    NAPI_THROW(Napi::Error::New(env, "napi_create_threadsafe_function failed"), env.Undefined());
  std::thread([tsfn, n] {
    for (std::int64_t i = 0; i < n; ++i) {
      napi_call_threadsafe_function(tsfn, reinterpret_cast<void*>(static_cast<intptr_t>(i)),
                                    napi_tsfn_nonblocking);
    }
    napi_call_threadsafe_function(tsfn, reinterpret_cast<void*>(kEnd), napi_tsfn_nonblocking);
    napi_release_threadsafe_function(tsfn, napi_tsfn_release);
  }).detach();
  return env.Undefined();
}

// The same through node-addon-api: NonBlockingCall with a lambda per value (what its docs show).
Napi::Value StreamNumbersNaa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::int64_t n = info[0].As<Napi::Number>().Int64Value();
  auto tsfn = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "bench", 0, 1);
  std::thread([tsfn, n]() mutable {
    for (std::int64_t i = 0; i < n; ++i) {
      tsfn.NonBlockingCall([i](Napi::Env env, Napi::Function push) {
        push.Call({Napi::Number::New(env, static_cast<double>(i)), Napi::Boolean::New(env, false)});
      });
    }
    tsfn.NonBlockingCall([](Napi::Env env, Napi::Function push) {
      push.Call({env.Undefined(), Napi::Boolean::New(env, true)});
    });
    tsfn.Release();
  }).detach();
  return env.Undefined();
}

Napi::Value StreamBytes(const Napi::CallbackInfo& info) {
  const std::int64_t total = info[0].As<Napi::Number>().Int64Value();
  const std::size_t chunk = static_cast<std::size_t>(info[1].As<Napi::Number>().Int64Value());
  const std::size_t hwm = static_cast<std::size_t>(info[2].As<Napi::Number>().Int64Value());
  // Process-wide; read by each conversion on the JS thread. run.js runs one scenario at a time
  // and clears it (streamBytesReset()) after the loop.
  napix::detail::buffer_hooks().force_copy.store(info[3].As<Napi::Boolean>().Value());
  auto [writer, chunks] = napix::stream<napix::Bytes>(info.Env(), {hwm});
  const std::int64_t count = total / static_cast<std::int64_t>(chunk);
  std::thread([writer = writer, count, chunk] {
    for (std::int64_t i = 0; i < count; ++i) {
      // Every byte is written: no need to have them zeroed first.
      napix::Bytes bytes = napix::Bytes::uninitialized(chunk);
      std::memset(bytes.data(), static_cast<int>(i & 0xff), bytes.size());
      if (writer.write(std::move(bytes)) != napix::Status::ok) return;
    }
    writer.end();
  }).detach();
  return chunks;
}

Napi::Value StreamBytesReset(const Napi::CallbackInfo& info) {
  napix::detail::BufferHooks& hooks = napix::detail::buffer_hooks();
  hooks.force_copy.store(false);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("external", static_cast<double>(hooks.external.load()));
  o.Set("copied", static_cast<double>(hooks.copied.load()));
  return o;
}

Napi::Value StreamSlow(const Napi::CallbackInfo& info) {
  const std::int64_t n = info[0].As<Napi::Number>().Int64Value();
  const std::size_t hwm = static_cast<std::size_t>(info[1].As<Napi::Number>().Int64Value());
  auto [writer, numbers] = napix::stream<double>(info.Env(), {hwm});
  g_last = napix::detail::Inspect::core(writer);
  std::thread([writer = writer, n] {
    for (std::int64_t i = 0; i < n; ++i) {
      if (writer.write(static_cast<double>(i)) != napix::Status::ok) return;
    }
    writer.end();
  }).detach();
  return numbers;
}

Napi::Value StreamStats(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  if (!g_last) return o;
  napix::detail::StreamStats s = g_last->stats();
  o.Set("written", static_cast<double>(s.written));
  o.Set("converted", static_cast<double>(s.converted));
  o.Set("maxUnread", static_cast<double>(s.max_unread));
  o.Set("blocked", static_cast<double>(s.blocked));
  o.Set("flushes", static_cast<double>(s.flushes));
  o.Set("pulls", static_cast<double>(s.pulls));
  o.Set("deferred", static_cast<double>(s.deferred));
  o.Set("writerSleeps", static_cast<double>(s.writer_sleeps));
  return o;
}

}  // namespace

void init_stream_bench(Napi::Env env, Napi::Object exports) {
  exports.Set("streamNumbers", Napi::Function::New(env, StreamNumbers, "streamNumbers"));
  exports.Set("streamNumbersTsfn",
              Napi::Function::New(env, StreamNumbersTsfn, "streamNumbersTsfn"));
  exports.Set("streamNumbersNaa", Napi::Function::New(env, StreamNumbersNaa, "streamNumbersNaa"));
  exports.Set("streamBytes", Napi::Function::New(env, StreamBytes, "streamBytes"));
  exports.Set("streamBytesReset", Napi::Function::New(env, StreamBytesReset, "streamBytesReset"));
  exports.Set("streamSlow", Napi::Function::New(env, StreamSlow, "streamSlow"));
  exports.Set("streamStats", Napi::Function::New(env, StreamStats, "streamStats"));
}
