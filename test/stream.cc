// Test functions for napix/stream.h. Writers are native threads; JS reads and checks exact counts
// through each stream's ledger (what was written, converted, destroyed unconverted).
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common.h"

namespace {

using napix::Status;
using napix::StreamWriter;
using napix_test::counters;
using napix_test::int_arg;
using napix_test::state;

// A value whose conversion fails when it is `bad`: a TypeError, thrown (exceptions off: pending).
struct Picky {
  int value;
  bool bad;
};

// A value whose conversion calls a JS function (probes(), per environment): what a user's
// Converter may do, so it must run in the stream creator's async context, never in a pull.
struct Probe {
  int value;
};
std::mutex probe_mutex;
std::map<napi_env, napi_ref>& probe_fns() {
  static auto* m = new std::map<napi_env, napi_ref>();  // refs freed with their environment
  return *m;
}

}  // namespace

template <>
struct napix::Converter<Picky> {
  static Napi::Value to_js(Napi::Env env, const Picky& p) {
    if (p.bad) {
      napix::throw_js(env, napix::Error::type_error("picky: " + std::to_string(p.value) + " refused"));
      return Napi::Value();
    }
    return Napi::Number::New(env, p.value);
  }
};

template <>
struct napix::Converter<Probe> {
  static Napi::Value to_js(Napi::Env env, const Probe& p) {
    napi_ref ref;
    {
      std::lock_guard<std::mutex> lock(probe_mutex);
      ref = probe_fns().at(env);
    }
    napi_value fn = nullptr;
    napi_get_reference_value(env, ref, &fn);
    return Napi::Function(env, fn).Call({Napi::Number::New(env, p.value)});
  }
};

// A user's own converter for an arithmetic type (a full specialization of the built-in one): a
// code point becomes a one-character string. Streams must call it, not batch the values as numbers.
template <>
struct napix::Converter<char32_t> {
  static Napi::Value to_js(Napi::Env env, char32_t c) {
    std::u16string s;
    if (c < 0x10000) {
      s.push_back(static_cast<char16_t>(c));
    } else {
      s.push_back(static_cast<char16_t>(0xD800 + ((c - 0x10000) >> 10)));
      s.push_back(static_cast<char16_t>(0xDC00 + ((c - 0x10000) & 0x3FF)));
    }
    return Napi::String::New(env, s);
  }
};

namespace {

// What a stream's writer threads did: per writer, how many writes returned each status and the
// last status; the stream's ledger through its core (not a writer: it does not keep it open).
struct Record {
  std::shared_ptr<napix::detail::StreamCore<double>> core;
  std::shared_ptr<napix::detail::StreamCore<Picky>> picky;
  std::shared_ptr<napix::detail::StreamCore<Probe>> probe;
  std::mutex mutex;
  std::unique_ptr<napix_test::StatusCounts[]> writers;  // atomics: not movable, so not a vector
  int writer_count = 0;
  std::vector<std::string> last;
  std::atomic<int> running{0};
};

std::mutex records_mutex;
std::map<int, std::shared_ptr<Record>>& records() {
  static auto* r = new std::map<int, std::shared_ptr<Record>>();
  return *r;
}
int next_record = 1;

int add_record(std::shared_ptr<Record> r) {
  std::lock_guard<std::mutex> lock(records_mutex);
  records()[next_record] = std::move(r);
  return next_record++;
}

// A Record for a stream with one writer thread; `core` goes to the Record's member `slot`.
template <class Core>
std::shared_ptr<Record> one_writer(std::shared_ptr<Core> core,
                                   std::shared_ptr<Core> Record::*slot) {
  auto record = std::make_shared<Record>();
  (*record).*slot = std::move(core);
  record->writers.reset(new napix_test::StatusCounts[1]);
  record->writer_count = 1;
  record->last.assign(1, "none");
  record->running = 1;
  return record;
}

// What the stream-making functions return: {iterator, id}.
Napi::Object made(Napi::Env env, const Napi::Object& it, std::shared_ptr<Record> record) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("iterator", it);
  out.Set("id", add_record(std::move(record)));
  return out;
}

napix::StreamOptions stream_options(const Napi::Object& o) {
  napix::StreamOptions options;
  if (o.Has("hwm")) options.high_water_mark = o.Get("hwm").As<Napi::Number>().Uint32Value();
  if (o.Has("name")) options.name = o.Get("name").As<Napi::String>().Utf8Value();
  return options;
}

// numbers({count, writers, hwm, finish}) -> {iterator, id}: `writers` threads each write
// writer * 1e6 + i for i < count (count < 0: until a write is refused); then the last one to
// finish calls end() ('end'), fail(RangeError) ('fail'), or nothing ('drop': the writers are
// destroyed without either). Each thread also counts into counters().producers_done when done and
// into counters().refused when its last write was refused (for teardown specs across Workers).
Napi::Value numbers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  const int count = o.Get("count").As<Napi::Number>().Int32Value();
  const int writers = o.Has("writers") ? o.Get("writers").As<Napi::Number>().Int32Value() : 1;
  const std::string finish = o.Has("finish") ? o.Get("finish").As<Napi::String>().Utf8Value() : "end";
  auto [writer, it] = napix::stream<double>(env, stream_options(o));
  if (it.IsEmpty()) return Napi::Value();  // exceptions off: the RangeError is pending
  auto record = std::make_shared<Record>();
  record->core = napix::detail::Inspect::core(writer);
  record->writers.reset(new napix_test::StatusCounts[writers]);
  record->writer_count = writers;
  record->last.assign(writers, "none");
  record->running = writers;
  for (int w = 0; w < writers; ++w) {
    state(env).spawn([writer, record, w, count, finish] {
      Status s = Status::ok;
      for (int i = 0; count < 0 || i < count; ++i) {
        s = writer.write(w * 1e6 + i);
        record->writers[w].add(s);
        if (s != Status::ok) break;
      }
      {
        std::lock_guard<std::mutex> lock(record->mutex);
        record->last[w] = napix::to_string(s);
      }
      if (s != Status::ok) counters().refused++;
      if (--record->running == 0) {
        if (finish == "end") writer.end();
        if (finish == "fail") writer.fail(napix::Error::range_error("the writer failed", "E_WRITER"));
      }
      counters().producers_done++;
    });
  }
  return made(env, it, std::move(record));
}

// results(id) -> {running, ok, queue_full, closing, last: [..], written, converted,
// destroyedUnconverted, maxUnread, blocked, flushes, pulls, deferred, heldFlushes, writerSpins*,
// writerSleeps, writerWaits, writerWakes} (StreamStats)
Napi::Value results(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<Record> r;
  {
    std::lock_guard<std::mutex> lock(records_mutex);
    r = records().at(int_arg(info, 0));
  }
  Napi::Object out = Napi::Object::New(env);
  long ok = 0, full = 0, closing = 0;
  for (int i = 0; i < r->writer_count; ++i) {
    ok += r->writers[i].ok, full += r->writers[i].queue_full, closing += r->writers[i].closing;
  }
  out.Set("running", double(r->running.load()));
  out.Set("ok", double(ok));
  out.Set("queue_full", double(full));
  out.Set("closing", double(closing));
  Napi::Array last = Napi::Array::New(env);
  {
    std::lock_guard<std::mutex> lock(r->mutex);
    for (size_t i = 0; i < r->last.size(); ++i) last.Set(uint32_t(i), r->last[i]);
  }
  out.Set("last", last);
  napix::detail::StreamStats st =
      r->core ? r->core->stats() : r->picky ? r->picky->stats() : r->probe->stats();
  out.Set("written", double(st.written));
  out.Set("converted", double(st.converted));
  out.Set("destroyedUnconverted", double(st.destroyed_unconverted));
  out.Set("maxUnread", double(st.max_unread));
  out.Set("blocked", double(st.blocked));
  out.Set("flushes", double(st.flushes));
  out.Set("pulls", double(st.pulls));
  out.Set("deferred", double(st.deferred));
  out.Set("heldFlushes", double(st.held_flushes));
  out.Set("writerSpinsHit", double(st.writer_spins_hit));
  out.Set("writerSpinsMissed", double(st.writer_spins_missed));
  out.Set("writerSpinsSkipped", double(st.writer_spins_skipped));
  out.Set("writerSleeps", double(st.writer_sleeps));
  out.Set("writerWaits", double(st.writer_waits));
  out.Set("writerWakes", double(st.writer_wakes));
  out.Set("pullSpinsHit", double(st.pull_spins_hit));
  out.Set("pullSpinsMissed", double(st.pull_spins_missed));
  out.Set("pullSpinsSkipped", double(st.pull_spins_skipped));
  return out;
}

// tryWrites(hwm, n) -> statuses of n try_write calls made on a native thread, nobody reading.
Napi::Value try_writes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napix::StreamOptions options;
  options.high_water_mark = static_cast<std::size_t>(int_arg(info, 0));
  const int n = int_arg(info, 1);  // read here: no Node-API off the JS thread
  auto [writer, it] = napix::stream<double>(env, options);
  std::vector<Status> got;
  std::thread t([&got, n, w = writer] {
    for (int i = 0; i < n; ++i) got.push_back(w.try_write(i));
  });
  t.join();
  Napi::Array out = Napi::Array::New(env);
  for (size_t i = 0; i < got.size(); ++i) out.Set(uint32_t(i), napix::to_string(got[i]));
  return out;
}

// jsThreadWrites(hwm, n) -> {iterator, statuses}: n write() calls on the JS thread, then end().
Napi::Value js_thread_writes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napix::StreamOptions options;
  options.high_water_mark = static_cast<std::size_t>(int_arg(info, 0));
  auto [writer, it] = napix::stream<double>(env, options);
  Napi::Array statuses = Napi::Array::New(env);
  for (int i = 0; i < int_arg(info, 1); ++i) statuses.Set(uint32_t(i), napix::to_string(writer.write(i)));
  writer.end();
  Napi::Object out = Napi::Object::New(env);
  out.Set("iterator", it);
  out.Set("statuses", statuses);
  return out;
}

// jsWriter(hwm) -> {iterator, id, write(v), end()}: a stream<double> whose writer the returned
// functions use on the JS thread (write returns the Status's name).
Napi::Value js_writer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napix::StreamOptions options;
  options.high_water_mark = static_cast<std::size_t>(int_arg(info, 0));
  auto [writer, it] = napix::stream<double>(env, options);
  auto record = one_writer(napix::detail::Inspect::core(writer), &Record::core);
  record->running = 0;
  auto w = std::make_shared<StreamWriter<double>>(writer);
  Napi::Object out = made(env, it, std::move(record));
  out.Set("write", Napi::Function::New(env, [w](const Napi::CallbackInfo& i) -> Napi::Value {
            return Napi::String::New(i.Env(), napix::to_string(w->write(i[0].As<Napi::Number>().DoubleValue())));
          }));
  out.Set("end", Napi::Function::New(env, [w](const Napi::CallbackInfo& i) -> Napi::Value {
            w->end();
            return i.Env().Undefined();
          }));
  return out;
}

// codePoints() -> an iterator of stream<char32_t> (a user Converter), 'a', 'b', U+1F600, ended.
Napi::Value code_points(const Napi::CallbackInfo& info) {
  auto [writer, it] = napix::stream<char32_t>(info.Env());
  for (char32_t c : {U'a', U'b', U'\U0001F600'}) writer.write(c);
  writer.end();
  return it;
}

// badMark() -> stream<double> with high_water_mark 0 (a RangeError).
Napi::Value bad_mark(const Napi::CallbackInfo& info) {
  napix::StreamOptions options;
  options.high_water_mark = 0;
  auto [writer, it] = napix::stream<double>(info.Env(), options);
  return it.IsEmpty() ? Napi::Value() : Napi::Value(it);
}

// picky(n, bad[, hwm = 4]) -> {iterator, id}: one thread writes 0..n-1 (value `bad` fails conversion) until
// refused, then end().
Napi::Value picky(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int n = int_arg(info, 0), bad = int_arg(info, 1);
  napix::StreamOptions options;
  options.high_water_mark = info.Length() > 2 ? static_cast<std::size_t>(int_arg(info, 2)) : 4;
  auto [writer, it] = napix::stream<Picky>(env, options);
  auto record = one_writer(napix::detail::Inspect::core(writer), &Record::picky);
  state(env).spawn([writer, record, n, bad] {
    Status s = Status::ok;
    for (int i = 0; i < n && s == Status::ok; ++i) {
      s = writer.write(Picky{i, i == bad});
      record->writers[0].add(s);
    }
    {
      std::lock_guard<std::mutex> lock(record->mutex);
      record->last[0] = napix::to_string(s);
    }
    writer.end();
    --record->running;
  });
  return made(env, it, std::move(record));
}

// probes(count, fn) -> {iterator, id}: one thread writes Probe 0..count-1 (high_water_mark 8),
// then end(); each converts to fn(i) on the JS thread.
Napi::Value probes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int n = int_arg(info, 0);
  {
    std::lock_guard<std::mutex> lock(probe_mutex);
    napi_ref& ref = probe_fns()[env];
    if (ref != nullptr) napi_delete_reference(env, ref);
    napi_create_reference(env, info[1], 1, &ref);
  }
  napix::StreamOptions options;
  options.high_water_mark = 8;
  auto [writer, it] = napix::stream<Probe>(env, options);
  auto record = one_writer(napix::detail::Inspect::core(writer), &Record::probe);
  state(env).spawn([writer, record, n] {
    for (int i = 0; i < n; ++i) record->writers[0].add(writer.write(Probe{i}));
    writer.end();
    --record->running;
  });
  return made(env, it, std::move(record));
}

Napi::Value process_counters(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("producersDone", double(counters().producers_done.load()));
  out.Set("refused", double(counters().refused.load()));
  return out;
}

Napi::Value reset_counters(const Napi::CallbackInfo& info) {
  counters().reset();
  return info.Env().Undefined();
}

}  // namespace

void init_stream(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
  napix_test::add(o, "numbers", numbers);
  napix_test::add(o, "results", results);
  napix_test::add(o, "tryWrites", try_writes);
  napix_test::add(o, "jsThreadWrites", js_thread_writes);
  napix_test::add(o, "jsWriter", js_writer);
  napix_test::add(o, "badMark", bad_mark);
  napix_test::add(o, "codePoints", code_points);
  napix_test::add(o, "picky", picky);
  napix_test::add(o, "probes", probes);
  napix_test::add(o, "counters", process_counters);
  napix_test::add(o, "resetCounters", reset_counters);
  exports.Set("stream", o);
}
