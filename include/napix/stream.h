// napix/stream.h — napix::stream<T>(): values written on native threads, read in JavaScript with
// `for await`, `Readable.from()` or `ReadableStream.from()`, with back-pressure; and
// napix::reader<T>(): a JavaScript async iterable read on a native thread. See doc/stream.md.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "config.h"
#include "convert.h"
#include "error.h"
#include "detail/env.h"
#include "detail/reader_core.h"
#include "detail/stream_core.h"

namespace napix {
namespace detail {
struct Inspect;  // tests' window into a stream (defined by napix's own test addon only)
}  // namespace detail

/// Options of `stream<T>()`.
struct StreamOptions {
  /// Most values written and not yet taken by the iterator's `next()` (≥ 1): `write` blocks and
  /// `try_write` returns `queue_full` while that many are unread. Values cross to the JS thread in
  /// batches of at most this many, so a larger mark means fewer wakeups per value.
  std::size_t high_water_mark = 16;
  /// The async resource name async_hooks and diagnostics see.
  std::string name = "napix:stream";
};

/// The writing end of a stream. Copies share the stream; made, copied, moved and destroyed on any
/// thread. The last copy destroyed without `end()`/`fail()` makes the iteration reject (after the
/// values written before) with an Error whose `code` is `"ERR_NAPIX_STREAM_DROPPED"`.
template <class T>
class StreamWriter {
 public:
  /// An empty writer: every write returns `closing`. Thread: any.
  StreamWriter() noexcept = default;
  StreamWriter(const StreamWriter& other) noexcept = default;
  StreamWriter(StreamWriter&& other) noexcept = default;
  StreamWriter& operator=(const StreamWriter& other) noexcept = default;
  StreamWriter& operator=(StreamWriter&& other) noexcept = default;
  ~StreamWriter() = default;

  /// Queues `value` (converted by `to_js` on the JS thread); blocks while `high_water_mark` values
  /// are unread. Returns `ok`, or `closing` (nothing queued) once the reader stopped, the stream
  /// ended or failed, or its environment is gone — blocked writers wake with `closing` at once.
  /// On the JS thread it never blocks: a full stream gives `queue_full`. Thread: any.
  Status write(T value) const { return core_ ? core_->write(value, true) : Status::closing; }

  /// As `write`, never blocks: `queue_full` while `high_water_mark` values are unread. Thread: any.
  Status try_write(T value) const { return core_ ? core_->write(value, false) : Status::closing; }

  /// The iteration finishes (`done: true`) after the values written before. Thread: any.
  void end() const {
    if (core_) core_->finish(detail::StreamCore<T>::State::ended);
  }

  /// `next()` rejects with `error` (a JS Error with its name, message and code) after the values
  /// written before. Thread: any.
  void fail(Error error) const {
    if (core_) core_->finish(detail::StreamCore<T>::State::failed, std::move(error));
  }

  /// True once writes are refused: after `end()`, `fail()`, the reader stopping or teardown.
  /// Thread: any; the answer may be stale when it returns.
  bool closed() const { return !core_ || core_->closed(); }

 private:
  friend struct detail::Inspect;
  template <class U>
  friend std::pair<StreamWriter<U>, Napi::Object> stream(Napi::Env env, StreamOptions options);
  explicit StreamWriter(std::shared_ptr<detail::StreamCore<T>> core) noexcept : core_(std::move(core)) {}

  // Counts writers the way a Channel counts handles: the last one gone drops the stream.
  detail::CoreHandle<detail::StreamCore<T>> core_;
};

/// A stream of T: the writer, and the async iterator (also async iterable) JavaScript reads it
/// with. Values arrive in write order (per writer thread), each converted by `to_js` on the JS
/// thread. The reader stopping (`break`, `return()`, `throw()`, the iterator collected, teardown)
/// closes the stream: blocked writers wake with `closing`, queued values are destroyed unconverted.
/// Thread: JS thread only. Errors: a `high_water_mark` of 0 is a RangeError (thrown; exceptions
/// off: pending, and the writer is empty); Node-API failing (the environment is closing) throws
/// its error.
template <class T>
std::pair<StreamWriter<T>, Napi::Object> stream(Napi::Env env, StreamOptions options = {});

/// Options of `reader<T>()`.
struct ReaderOptions {
  /// Most values pulled from the iterable and not yet read (≥ 1): the reader prefetches up to this
  /// many. Values cross to the native side in batches of at most this many.
  std::size_t high_water_mark = 16;
  /// The async resource name async_hooks and diagnostics see.
  std::string name = "napix:reader";
};

/// A JavaScript async iterable read on a native thread (see `reader<T>()`). Move-only; used from
/// one native thread at a time, never the JS thread. Destroying an unfinished reader cancels it.
template <class T>
class StreamReader {
 public:
  /// An empty reader: `read()` reports closing. Thread: any.
  StreamReader() noexcept = default;
  StreamReader(StreamReader&& other) noexcept = default;
  StreamReader& operator=(StreamReader&& other) noexcept {
    if (this != &other) {
      cancel();
      core_ = std::move(other.core_);
    }
    return *this;
  }
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;
  ~StreamReader() { cancel(); }

  /// Blocks for the next value (converted by `from_js<T>` on the JS thread); `std::nullopt` at
  /// the end, and on every later call. The iterator rejecting, or a value `from_js<T>` refuses,
  /// throws `JsError` once (a conversion error's `name()` is "TypeError"), later calls give
  /// nullopt; teardown of the environment throws `ClosingError` (an empty reader too). Exceptions
  /// off: a `Result` holding the error (`code` "ERR_NAPIX_CLOSING" for closing). On the JS thread
  /// it would deadlock: `std::logic_error` (exceptions off: code "ERR_NAPIX_WOULD_DEADLOCK").
  /// Thread: any but the JS thread.
  Fallible<std::optional<T>> read() {
    if (!core_) return detail::Outcome<std::optional<T>>::closing().take();
    return core_->read();
  }

  /// Stops reading: the iterator's `return()` is called on the JS thread (a generator's `finally`
  /// runs), values prefetched and not read are dropped, later reads give nullopt. Thread: any.
  void cancel() noexcept {
    if (core_) core_->cancel();
  }

 private:
  friend struct detail::Inspect;
  template <class U>
  friend StreamReader<U> reader(Napi::Value async_iterable, ReaderOptions options);
  explicit StreamReader(std::shared_ptr<detail::ReaderCore<T>> core) noexcept
      : core_(std::move(core)) {}

  std::shared_ptr<detail::ReaderCore<T>> core_;
};

/// Reads `async_iterable` (an async generator, a `Readable`, a `ReadableStream`: anything with
/// `[Symbol.asyncIterator]()`) on a native thread: pulls up to `high_water_mark` values ahead of
/// the reader, in the creator's async context. Thread: JS thread only. Errors: not an async
/// iterable is a TypeError (code ERR_INVALID_ARG_TYPE), a `high_water_mark` of 0 a RangeError
/// (thrown; exceptions off: pending, and the reader is empty).
template <class T>
StreamReader<T> reader(Napi::Value async_iterable, ReaderOptions options = {});

// ---------------------------------------------------------------------------------------------
// Definitions

namespace detail {

// The iterator's one native function: `sync(n, pull, scratch)` (see kStreamIteratorSource). Its
// data is a heap shared_ptr to the core, freed by the function's finalizer.
template <class T>
napi_value stream_sync(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value args[3] = {nullptr, nullptr, nullptr};
  void* data = nullptr;
  napi_get_cb_info(env, info, &argc, args, nullptr, &data);
  std::int64_t n = 0;
  std::int32_t pull = 0;
  napi_get_value_int64(env, args[0], &n);
  napi_get_value_int32(env, args[1], &pull);
  double* scratch = nullptr;
  std::size_t room = 0;
  if constexpr (kNumberBatch<T>) {
    napi_typedarray_type type = napi_int8_array;
    void* bytes = nullptr;
    if (pull != 0 && argc >= 3 &&
        napi_get_typedarray_info(env, args[2], &type, &room, &bytes, nullptr, nullptr) == napi_ok &&
        type == napi_float64_array) {
      scratch = static_cast<double*>(bytes);
    } else {
      room = 0;
    }
  }
  auto& core = *static_cast<std::shared_ptr<StreamCore<T>>*>(data);
  napi_value got = nullptr;
  napi_create_int32(env, core->sync(env, n, pull, scratch, room), &got);
  return got;
}

}  // namespace detail

template <class T>
std::pair<StreamWriter<T>, Napi::Object> stream(Napi::Env env, StreamOptions options) {
  using Core = detail::StreamCore<T>;
  if (options.high_water_mark == 0) {
    throw_js(env, Error::range_error("napix::stream: high_water_mark must be at least 1, got 0"));
    return {};
  }
  auto core = std::make_shared<Core>(env, options.high_water_mark);
  // The iterator reports what it took every half mark: a writer blocked at the mark gets room
  // while the other half is read, and its values wait for the pull when the buffer runs dry.
  const double every =
      static_cast<double>(options.high_water_mark > 1 ? options.high_water_mark / 2 : 1);
  core->open(options.name);
  // The iterator: the per-environment factory called with this stream's `sync`.
  napi_value factory = detail::env_entry(env).script(detail::Script::stream_iterator,
                                                     detail::kStreamIteratorSource);
  napi_value sync = nullptr, pair = nullptr, it = nullptr, push = nullptr, undefined = nullptr;
  auto owner = std::make_unique<std::shared_ptr<Core>>(core);
  napi_status s = factory != nullptr ? napi_create_function(env, "sync", NAPI_AUTO_LENGTH,
                                                            detail::stream_sync<T>, owner.get(), &sync)
                                     : napi_pending_exception;
  if (s == napi_ok) {
    s = napi_add_finalizer(
        env, sync, owner.get(),
        [](napi_env, void* data, void*) { delete static_cast<std::shared_ptr<Core>*>(data); }, nullptr,
        nullptr);
  }
  if (s == napi_ok) owner.release();  // the function's finalizer frees it
  if (s == napi_ok) s = napi_get_undefined(env, &undefined);
  napi_value args[3] = {sync, nullptr, nullptr};
  if (s == napi_ok) s = napi_create_double(env, every, &args[1]);
  // Numbers: the size of the iterator's scratch array, which a pull fills (at most what can be
  // unread, and at most kStreamScratchMax); 0: not a stream of numbers.
  const double scratch =
      detail::kNumberBatch<T>
          ? static_cast<double>(std::min(options.high_water_mark, detail::kStreamScratchMax))
          : 0;
  if (s == napi_ok) s = napi_create_double(env, scratch, &args[2]);
  if (s == napi_ok) s = napi_call_function(env, undefined, factory, 3, args, &pair);
  if (s == napi_ok) s = napi_get_element(env, pair, 0, &it);
  if (s == napi_ok) s = napi_get_element(env, pair, 1, &push);
  if (s == napi_ok) {
    // Collected unread (nobody iterates any more): the stream stops, and its writers are told.
    auto* watch = new std::weak_ptr<Core>(core);
    s = napi_add_finalizer(
        env, it, watch,
        [](napi_env, void* data, void*) {
          std::unique_ptr<std::weak_ptr<Core>> w(static_cast<std::weak_ptr<Core>*>(data));
          if (std::shared_ptr<Core> c = w->lock()) c->stop(true);
        },
        nullptr, nullptr);
    if (s != napi_ok) delete watch;
  }
  if (s == napi_ok) core->set_push(env, push);
  if (s != napi_ok) {
    core->stop(true);
    NAPI_THROW_IF_FAILED(env, s == napi_ok ? napi_generic_failure : s,
                         (std::pair<StreamWriter<T>, Napi::Object>()));
    return {};
  }
  return {StreamWriter<T>(core), Napi::Object(env, it)};
}

namespace detail {

// The pump's one native function: `deliver(values, final, error, credit)` (see kReaderPumpSource).
// Its data is a heap weak_ptr to the core, freed by the function's finalizer: the JS side never
// keeps a reader alive.
template <class T>
napi_value reader_deliver(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4] = {nullptr, nullptr, nullptr, nullptr};
  void* data = nullptr;
  napi_get_cb_info(env, info, &argc, args, nullptr, &data);
  std::int64_t answer = -1;
  auto* watch = static_cast<std::weak_ptr<ReaderCore<T>>*>(data);
  if (std::shared_ptr<ReaderCore<T>> core = watch->lock()) {
    std::int32_t final = 0;
    std::int64_t credit = 0;
    napi_get_value_int32(env, args[1], &final);
    napi_get_value_int64(env, args[3], &credit);
    answer = core->deliver(env, args[0], final, args[2], credit);
  }
  napi_value out = nullptr;
  napi_create_int64(env, answer, &out);
  return out;
}

}  // namespace detail

template <class T>
StreamReader<T> reader(Napi::Value async_iterable, ReaderOptions options) {
  using Core = detail::ReaderCore<T>;
  napi_env env = async_iterable.Env();
  if (options.high_water_mark == 0) {
    throw_js(Napi::Env(env),
             Error::range_error("napix::reader: high_water_mark must be at least 1, got 0"));
    return {};
  }
  auto core = std::make_shared<Core>(env, options.high_water_mark);
  core->open(options.name);
  napi_value factory = detail::env_entry(env).script(detail::Script::reader_pump,
                                                     detail::kReaderPumpSource);
  napi_value args[3] = {async_iterable, nullptr, nullptr};
  napi_value undefined = nullptr, control = nullptr;
  auto watch = std::make_unique<std::weak_ptr<Core>>(core);
  napi_status s = factory != nullptr
                      ? napi_create_double(env, double(options.high_water_mark), &args[1])
                      : napi_pending_exception;
  if (s == napi_ok) {
    s = napi_create_function(env, "deliver", NAPI_AUTO_LENGTH, detail::reader_deliver<T>,
                             watch.get(), &args[2]);
  }
  if (s == napi_ok) {
    s = napi_add_finalizer(
        env, args[2], watch.get(),
        [](napi_env, void* data, void*) { delete static_cast<std::weak_ptr<Core>*>(data); },
        nullptr, nullptr);
  }
  if (s == napi_ok) watch.release();  // the function's finalizer frees it
  if (s == napi_ok) s = napi_get_undefined(env, &undefined);
  // Throws (the TypeError) when `async_iterable` is not one.
  if (s == napi_ok) s = napi_call_function(env, undefined, factory, 3, args, &control);
  if (s != napi_ok) {
    core->cancel();  // the pump never started: nothing JS to stop
    NAPI_THROW_IF_FAILED(env, s, StreamReader<T>());
    return {};
  }
  core->start(env, control);
  return StreamReader<T>(core);
}

}  // namespace napix
