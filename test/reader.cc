// Test functions for napix::reader<T>() (napix/stream.h): JS async iterables read on native threads
// (a napix task or a std::thread); JS checks the values, errors and each reader's ledger.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common.h"

namespace {

using napix::StreamReader;
using napix_test::counters;
using napix_test::int_arg;
using napix_test::state;

napix::ReaderOptions reader_options(const Napi::Value& v) {
  napix::ReaderOptions options;
  if (!v.IsObject()) return options;
  Napi::Object o = v.As<Napi::Object>();
  if (o.Has("hwm")) options.high_water_mark = o.Get("hwm").As<Napi::Number>().Uint32Value();
  if (o.Has("name")) options.name = o.Get("name").As<Napi::String>().Utf8Value();
  return options;
}

int option(const Napi::Value& v, const char* key, int fallback) {
  if (!v.IsObject() || !v.As<Napi::Object>().Has(key)) return fallback;
  return v.As<Napi::Object>().Get(key).As<Napi::Number>().Int32Value();
}

// One read() in both modes: 0 a value (appended), 1 the end, 2 an error (stored).
template <class T>
int step(StreamReader<T>& r, std::vector<T>& values, std::optional<napix::Error>& error) {
#if NAPIX_EXCEPTIONS
  try {
    std::optional<T> v = r.read();
    if (!v) return 1;
    values.push_back(std::move(*v));
    return 0;
  } catch (const napix::JsError& e) {
    error = e.to_error();
  } catch (const napix::ClosingError& e) {
    error = napix::Error("ClosingError", e.what(), napix::kClosingCode);
  }
  return 2;
#else
  napix::Result<std::optional<T>> v = r.read();
  if (!v.ok()) {
    error = v.error();
    if (error->code == napix::kClosingCode) error->name = "ClosingError";
    return 2;
  }
  if (!*v) return 1;
  values.push_back(std::move(**v));
  return 0;
#endif
}

// What a drain saw: the values, the error (if any), and what the read after the end gave.
template <class T>
struct Drained {
  std::vector<T> values;
  std::optional<napix::Error> error;
  std::string again;  // "nullopt", "value" or "error"
};

Napi::Value error_to_js(Napi::Env env, const std::optional<napix::Error>& e) {
  if (!e) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", e->name);
  o.Set("message", e->message);
  o.Set("code", e->code);
  return o;
}

// Reads until the end, an error or `stop_after` values; then cancels (`how` "cancel") or destroys
// (`how` "drop") the reader when stopped early; then one more read.
template <class T>
Drained<T> drain(StreamReader<T> r, int stop_after, const std::string& how) {
  Drained<T> d;
  int s = 0;
  while (s == 0 && (stop_after < 0 || int(d.values.size()) < stop_after)) {
    s = step(r, d.values, d.error);
  }
  if (s == 0 && how == "cancel") r.cancel();
  if (s == 0 && how == "drop") StreamReader<T> gone(std::move(r));  // destroyed unfinished
  std::vector<T> more;
  std::optional<napix::Error> later;
  const int t = step(r, more, later);
  d.again = t == 0 ? "value" : t == 1 ? "nullopt" : "error";
  return d;
}

template <class T>
Napi::Value drain_on_task(Napi::Env env, StreamReader<T> r, int stop_after, std::string how) {
  return napix::task(env, [r = std::make_shared<StreamReader<T>>(std::move(r)), stop_after, how] {
           return drain(std::move(*r), stop_after, how);
         })
      .promise([](Napi::Env env, Drained<T>&& d) {
        Napi::Object o = Napi::Object::New(env);
        Napi::Array values = Napi::Array::New(env);
        for (std::size_t i = 0; i < d.values.size(); ++i) {
          values.Set(uint32_t(i), napix::to_js(env, d.values[i]));
        }
        o.Set("values", values);
        o.Set("error", error_to_js(env, d.error));
        o.Set("again", d.again);
        return o;
      });
}

// read(iterable, {type, hwm, name, stopAfter, how}) -> Promise<{values, error, again}>: a task
// reads the iterable (reader<double>, or <std::string> for type 'string') to the end, or stops
// after `stopAfter` values and cancels ('cancel') or destroys ('drop') the reader.
Napi::Value read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Value opts = info[1];
  std::string type = "double", how = "cancel";
  if (opts.IsObject() && opts.As<Napi::Object>().Has("type")) {
    type = opts.As<Napi::Object>().Get("type").As<Napi::String>().Utf8Value();
  }
  if (opts.IsObject() && opts.As<Napi::Object>().Has("how")) {
    how = opts.As<Napi::Object>().Get("how").As<Napi::String>().Utf8Value();
  }
  const int stop_after = option(opts, "stopAfter", -1);
  if (type == "string") {
    StreamReader<std::string> r = napix::reader<std::string>(info[0], reader_options(opts));
    if (env.IsExceptionPending()) return Napi::Value();
    return drain_on_task(env, std::move(r), stop_after, how);
  }
  StreamReader<double> r = napix::reader<double>(info[0], reader_options(opts));
  if (env.IsExceptionPending()) return Napi::Value();  // exceptions off: the error is pending
  return drain_on_task(env, std::move(r), stop_after, how);
}

// Readers held by the test (not read, or read by a thread the test starts).
struct Held {
  std::shared_ptr<napix::detail::ReaderCore<double>> core;  // the ledger; not a reader
  std::mutex mutex;
  std::unique_ptr<StreamReader<double>> reader;  // null once released or moved to a thread
};
std::mutex held_mutex;
std::map<int, std::shared_ptr<Held>>& held() {
  static auto* h = new std::map<int, std::shared_ptr<Held>>();
  return *h;
}
int next_held = 1;

std::shared_ptr<Held> held_arg(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(held_mutex);
  return held().at(int_arg(info, 0));
}

// hold(iterable, {hwm}) -> id: a reader<double> nobody reads yet.
Napi::Value hold(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  StreamReader<double> r = napix::reader<double>(info[0], reader_options(info[1]));
  if (env.IsExceptionPending()) return Napi::Value();
  auto h = std::make_shared<Held>();
  h->core = napix::detail::Inspect::core(r);
  h->reader = std::make_unique<StreamReader<double>>(std::move(r));
  std::lock_guard<std::mutex> lock(held_mutex);
  held()[next_held] = h;
  return Napi::Number::New(env, next_held++);
}

// stats(id) -> the reader's ledger.
Napi::Value stats(const Napi::CallbackInfo& info) {
  napix::detail::ReaderStats s = held_arg(info)->core->stats();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("delivered", double(s.delivered));
  o.Set("read", double(s.read));
  o.Set("batches", double(s.batches));
  o.Set("wakes", double(s.wakes));
  o.Set("takes", double(s.takes));
  o.Set("queued", double(s.queued));
  o.Set("waiting", double(s.waiting));
  o.Set("paused", s.paused);
  o.Set("jsReleased", s.js_released);
  return o;
}

// release(id): destroys the held reader on the JS thread.
Napi::Value release(const Napi::CallbackInfo& info) {
  std::shared_ptr<Held> h = held_arg(info);
  std::unique_ptr<StreamReader<double>> r;
  {
    std::lock_guard<std::mutex> lock(h->mutex);
    r = std::move(h->reader);
  }
  r.reset();
  return info.Env().Undefined();
}

// readHere(id): read() on the JS thread — a misuse (logic_error; exceptions off: an Error with
// code ERR_NAPIX_WOULD_DEADLOCK, thrown here).
Napi::Value read_here(const Napi::CallbackInfo& info) {
  std::shared_ptr<Held> h = held_arg(info);
  std::lock_guard<std::mutex> lock(h->mutex);
#if NAPIX_EXCEPTIONS
  h->reader->read();  // throws std::logic_error: node-addon-api makes it a JS Error
#else
  napix::Result<std::optional<double>> r = h->reader->read();
  if (!r.ok()) napix::throw_js(info.Env(), r.error());
#endif
  return info.Env().Undefined();
}

// readOnThread(id): a std::thread takes the held reader and reads it to the end; counts into
// counters(): producers_done when its thread ends, refused when it ended with closing, ran per
// value. Its values and error are not kept (teardown fixtures count).
Napi::Value read_on_thread(const Napi::CallbackInfo& info) {
  std::shared_ptr<Held> h = held_arg(info);
  std::unique_ptr<StreamReader<double>> r;
  {
    std::lock_guard<std::mutex> lock(h->mutex);
    r = std::move(h->reader);
  }
  state(info.Env()).spawn([r = std::shared_ptr<StreamReader<double>>(std::move(r))] {
    std::vector<double> values;
    std::optional<napix::Error> error;
    int s = 0;
    while ((s = step(*r, values, error)) == 0) counters().ran++;
    if (s == 2 && error->name == "ClosingError") counters().refused++;
    counters().producers_done++;
  });
  return info.Env().Undefined();
}

// readOnTask(id) -> Promise: as readOnThread, on a napix task (a libuv pool runner).
Napi::Value read_on_task(const Napi::CallbackInfo& info) {
  std::shared_ptr<Held> h = held_arg(info);
  std::shared_ptr<StreamReader<double>> r;
  {
    std::lock_guard<std::mutex> lock(h->mutex);
    r = std::move(h->reader);
  }
  return napix::task(info.Env(), [r] {
           std::vector<double> values;
           std::optional<napix::Error> error;
           int s = 0;
           while ((s = step(*r, values, error)) == 0) counters().ran++;
           if (s == 2 && error->name == "ClosingError") counters().refused++;
           counters().producers_done++;
           return int(values.size());
         })
      .promise();
}

Napi::Value process_counters(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("done", double(counters().producers_done.load()));
  out.Set("closing", double(counters().refused.load()));
  out.Set("values", double(counters().ran.load()));
  return out;
}

Napi::Value reset_counters(const Napi::CallbackInfo& info) {
  counters().reset();
  return info.Env().Undefined();
}

}  // namespace

void init_reader(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
  napix_test::add(o, "read", read);
  napix_test::add(o, "hold", hold);
  napix_test::add(o, "stats", stats);
  napix_test::add(o, "release", release);
  napix_test::add(o, "readHere", read_here);
  napix_test::add(o, "readOnThread", read_on_thread);
  napix_test::add(o, "readOnTask", read_on_task);
  napix_test::add(o, "counters", process_counters);
  napix_test::add(o, "resetCounters", reset_counters);
  exports.Set("reader", o);
}
