// napix/detail/reader_core.h — the inside of napix::reader<T>(): a JS async iterable read on a
// native thread. The JS half is a small pump (compiled once per environment) that awaits the
// iterator's `next()` while it has credit and hands the values to native code in batches — one
// native call per batch, not per value. The native half (ReaderCore) converts each batch with
// `from_js<T>` on the JS thread into a queue that `read()` takes from; a reader that freed enough
// credit while the pump is paused wakes it through the reader's own Dispatcher.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../config.h"
#include "../convert.h"
#include "../error.h"
#include "dispatcher.h"
#include "env.h"
#include "js_thread.h"
#include "outcome.h"
#include "spin.h"
#include "visibility.h"

namespace napix {
namespace detail {

// The pump. The script evaluates to `napixReader(source, hwm, deliver)`, which gets the iterator
// (`source[Symbol.asyncIterator]()`; not an async iterable: a TypeError, thrown) and returns
// `control(n)`: n >= 0 adds n credit and (re)starts pulling (the first credit is `hwm`), n < 0
// stops for good and calls the iterator's `return()`. Pulling awaits `it.next()` while credit
// lasts; values collect in `batch` and go to native code by `deliver(values, final, error,
// credit)` — when half the mark is collected or the credit ran out (so a reader that keeps up
// hands credit back before the pump runs dry), when the iterator finished (`final` 1) or rejected
// (`final` 2, `error`), or at the latest one loop turn later (setImmediate), so a slow source is
// not held back. `deliver` answers the credit the native reader freed since the last batch (0 with credit 0
// left: the pump pauses until `control(n)`), or -1: stop (the reader was cancelled, or a value did
// not convert). The process's 'exit' event (process.exit(), whose main-thread form runs no
// teardown and joins the libuv pool — where a reader may be blocked) delivers `final` 3 for every
// live pump of the environment: its reader wakes with closing.
NAPIX_LOCAL inline constexpr const char* kReaderPumpSource = R"JS((function () {
  'use strict';
  const live = new Set();  // this environment's unfinished pumps: told at process 'exit'
  let hooked = false;
  function exiting() {
    for (const tell of live) tell();
    live.clear();
  }
  function fail(message) {
    const e = new TypeError(message);
    e.code = 'ERR_INVALID_ARG_TYPE';
    return e;
  }
  return function napixReader(source, hwm, deliver) {
    const method = source === null || source === undefined ? undefined
                                                            : source[Symbol.asyncIterator];
    if (typeof method !== 'function') {
      const got = source === null ? 'null' : typeof source;
      throw fail(`napix::reader: expected an async iterable, got ${got}`);
    }
    const it = method.call(source);
    if (it === null || (typeof it !== 'object' && typeof it !== 'function')) {
      throw fail('napix::reader: [Symbol.asyncIterator]() did not return an object');
    }
    const half = Math.ceil(hwm / 2);
    let credit = hwm, batch = [], started = false, finished = false, timer = null, waiter = null;
    function wake() {
      const w = waiter;
      waiter = null;
      if (w !== null) w();
    }
    function end() {
      finished = true;
      wake();
      live.delete(onExit);
      if (timer !== null) {
        clearImmediate(timer);
        timer = null;
      }
      batch = [];
    }
    function flush(final, error) {
      if (timer !== null) {
        clearImmediate(timer);
        timer = null;
      }
      const values = batch;
      batch = [];
      const freed = deliver(values, final, error, credit);
      if (final !== 0) return;
      if (freed < 0) stop();
      else credit += freed;
    }
    function later() {
      timer = null;
      if (!finished && batch.length > 0) flush(0);
    }
    // One loop for the pump's life, started by the creator's call: a pause awaits control(n)
    // instead of control(n) calling in, so every pull runs in the creator's async context
    // (AsyncLocalStorage) even where the runtime's napi_make_callback does not restore it.
    async function pump() {
      try {
        while (!finished) {
          if (credit <= 0) {
            await new Promise((resolve) => { waiter = resolve; });
            continue;
          }
          const r = await it.next();
          if (finished) return;
          if (r === null || typeof r !== 'object') {
            throw new TypeError(`napix::reader: the iterator result ${String(r)} is not an object`);
          }
          if (r.done) {
            const values = batch;
            end();
            batch = values;
            flush(1);
            return;
          }
          batch.push(r.value);
          if (--credit === 0 || batch.length >= half) flush(0);
          else if (timer === null) timer = setImmediate(later);
        }
      } catch (e) {
        if (!finished) {
          const values = batch;
          end();
          batch = values;
          flush(2, e);
        }
      }
    }
    function stop() {
      if (finished) return;
      end();
      try {
        // Nobody reads any more: what return() says (or throws) has no one to go to.
        if (typeof it.return === 'function') Promise.resolve(it.return()).catch(() => {});
      } catch (e) {}
    }
    function onExit() {
      if (finished) return;
      end();
      deliver([], 3, undefined, 0);
    }
    live.add(onExit);
    if (!hooked) {
      hooked = true;
      process.once('exit', exiting);
    }
    return function control(n) {
      if (n < 0) {
        stop();
        return;
      }
      credit += n;
      if (!started) {
        started = true;
        pump();
      } else {
        wake();
      }
    };
  };
})())JS";

/// For tests (napix's test addon): what a reader did.
struct ReaderStats {
  std::uint64_t delivered = 0;  ///< values converted into the native queue
  std::uint64_t read = 0;       ///< values read() returned
  std::uint64_t batches = 0;    ///< deliver calls (JS → native crossings)
  std::uint64_t wakes = 0;      ///< pump wakeups sent by read()
  std::uint64_t takes = 0;      ///< times read() took the delivered values out (the shared lock)
  std::size_t queued = 0;       ///< values converted and not yet read
  std::size_t waiting = 0;      ///< read() calls blocked now
  bool paused = false;          ///< the pump waits for credit
  bool js_released = false;     ///< the reader let go of its JS objects
};

/// The state a reader's native thread and its JS thread share. Thread: any, except where marked.
template <class T>
class ReaderCore final : public EnvListener, public std::enable_shared_from_this<ReaderCore<T>> {
 public:
  enum class State { open, ended, failed, cancelled, closing };

  ReaderCore(napi_env env, std::size_t high_water_mark)
      : env_(env),
        js_thread_(std::this_thread::get_id()),
        wake_at_(high_water_mark / 2 > 0 ? high_water_mark / 2 : 1) {}

  /// Makes the Dispatcher the pump's wakeups travel through (ref'ed: an unfinished reader keeps
  /// the loop alive, as a paused pump has nothing else to; its async context is the creator's).
  /// Thread: JS thread only.
  void open(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    channel_ = CoreHandle<>(Dispatcher<ChannelJob>::create(
        env_, env_entry(env_).trampoline(), nullptr, nullptr, name, 0, /*keep_alive=*/true));
  }
  /// Holds the pump's `control`, registers for teardown and starts pulling. False when the
  /// environment is already closing (the reader is then closed). Thread: JS thread only.
  bool start(napi_env env, napi_value control);

  /// The next value, nullopt at the end; JsError for a rejection or a conversion error (once,
  /// then nullopt); ClosingError after teardown. Thread: any but the JS thread.
  Fallible<std::optional<T>> read();
  /// Stops reading: the pump calls the iterator's return() on the JS thread; later reads give
  /// nullopt. Thread: any.
  void cancel() noexcept;

  /// The pump's `deliver(values, final, error, credit)`. Thread: JS thread only.
  std::int64_t deliver(napi_env env, napi_value values, int final, napi_value error,
                       std::int64_t credit);
  /// Teardown (EnvEntry::close): readers wake with closing; JS references are deleted.
  void env_closing(napi_env env) noexcept override;

  /// How long read() waits before it asks whether the environment still runs JS (see Probe).
  NAPIX_LOCAL static constexpr std::chrono::milliseconds kProbeInterval{20};

  ReaderStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    ReaderStats s = stats_;
    s.read = read_total_.load(std::memory_order_relaxed);
    s.queued = queue_.size() + taken_size_.load(std::memory_order_relaxed);
    s.paused = paused_;
    return s;
  }

 private:
  // Sends the paused pump its wakeup (resume) once half the mark was read. Thread: the reader's.
  void wake_pump();
  // After cancel or teardown: destroys what read() took and did not return, unless a read() is
  // running (it drops them itself). Thread: any but one inside read() (cancel, env_closing).
  void drop_taken() noexcept;
  // Calls the pump's control(n). Thread: JS thread only.
  void control(napi_env env, std::int64_t n) noexcept;
  // The pump was woken (resume) or told to stop (halt) through channel_. Thread: JS thread only.
  void resume(napi_env env) noexcept;
  void halt(napi_env env) noexcept;
  // Nothing more goes to JS: deletes `control`, lets go of the Dispatcher and (`forget`) of the
  // EnvEntry's hold. Thread: JS thread only.
  void let_go_js(napi_env env, bool forget) noexcept;

  // Sent by a read() that waited kProbeInterval: run, JS is alive; destroyed unrun, the
  // environment is being torn down. A reader on a task() runner needs it: Worker terminate()
  // waits for running async work before any cleanup hook (doc/design.md, behaviour 8), so
  // env_closing alone would come too late — never.
  struct Probe {
    std::weak_ptr<ReaderCore> core;
    explicit Probe(std::weak_ptr<ReaderCore> c) noexcept : core(std::move(c)) {}
    Probe(Probe&& o) noexcept : core(std::move(o.core)) {}
    Probe& operator=(Probe&&) = delete;
    ~Probe() {
      if (std::shared_ptr<ReaderCore> c = core.lock()) c->probed(false);
    }
    void ran() {
      if (std::shared_ptr<ReaderCore> c = std::exchange(core, {}).lock()) c->probed(true);
    }
  };
  void probed(bool alive) noexcept;

  const napi_env env_;
  const std::thread::id js_thread_;
  const std::size_t wake_at_;  // freed credit that wakes a paused pump: half the mark
  std::mutex mutex_;
  std::condition_variable ready_;  // read() waiting for a value or the end
  std::deque<T> queue_;            // converted, not yet taken by read()
  State state_ = State::open;
  std::optional<JsError> error_;  // failed: what the next read() throws
  bool paused_ = false;           // the pump has no credit left and waits for a wakeup
  bool wake_queued_ = false;
  bool probe_pending_ = false;
  // A read() that finds the queue empty spins this long first (learned; see SpinBudget): a batch
  // is often microseconds away, and a futex wakeup per batch would halve the throughput.
  SpinBudget spin_{std::chrono::microseconds(2), std::chrono::microseconds(20)};
  std::atomic<std::uint64_t> changes_{0};  // bumped after every deliver and stop
  ReaderStats stats_;
  CoreHandle<> channel_;  // guarded by mutex_

  // The reading thread's side. read() takes every delivered value out of queue_ at once, under
  // mutex_, and serves the next reads from taken_ without it: a lock per value collided with the
  // JS thread's deliver (perf: 8,700-9,400 futex sleeps of the JS thread per 2M values, mark 16).
  // Taken values still count against the mark until read: freed_ says how many were read since
  // the pump last heard (the JS thread swaps it to 0), paused_hint_ mirrors paused_ so a read
  // need not lock to see it (both seq_cst: read() adds then loads, deliver() stores then loads).
  std::mutex read_mutex_;  // readers only (one at a time by contract; this makes two safe)
  std::deque<T> taken_;    // guarded by read_mutex_
  std::atomic<std::size_t> taken_size_{0};
  std::atomic<std::size_t> freed_{0};
  std::atomic<bool> paused_hint_{false};
  std::atomic<bool> dropped_{false};  // cancel or teardown: what taken_ holds is not read
  std::atomic<std::uint64_t> read_total_{0};

  napi_ref control_ = nullptr;  // JS thread only
};

// ---------------------------------------------------------------------------------------------
// Definitions

template <class T>
bool ReaderCore<T>::start(napi_env env, napi_value control) {
  if (napi_create_reference(env, control, 1, &control_) != napi_ok ||
      !env_entry(env).listen(this->shared_from_this())) {
    env_closing(env);
    return false;
  }
  this->control(env, 0);
  return true;
}

template <class T>
Fallible<std::optional<T>> ReaderCore<T>::read() {
  using Out = Outcome<std::optional<T>>;
  if (std::this_thread::get_id() == js_thread_) return Out::would_deadlock().take();
  std::lock_guard<std::mutex> reading(read_mutex_);
  if (dropped_.load(std::memory_order_acquire) && !taken_.empty()) {
    taken_.clear();  // stopped: the values taken and not read are dropped
    taken_size_.store(0, std::memory_order_relaxed);
  }
  if (taken_.empty()) {
    std::unique_lock<std::mutex> lock(mutex_);
    bool spun = false;
    for (;;) {
      if (!queue_.empty()) {
        taken_.swap(queue_);  // taken_ was empty: queue_ is now
        ++stats_.takes;
        break;
      }
      if (state_ == State::open && !spun) {
        spun = true;
        const std::uint64_t seen = changes_.load(std::memory_order_relaxed);
        lock.unlock();
        spin_while(spin_, changes_, seen);
        lock.lock();
        continue;  // re-checked under the lock, spun or not
      }
      if (state_ == State::open) {
        ++stats_.waiting;
        const bool timed_out = ready_.wait_for(lock, kProbeInterval) == std::cv_status::timeout;
        --stats_.waiting;
        if (timed_out && !probe_pending_ && channel_) {
          probe_pending_ = true;
          std::shared_ptr<ChannelCore> channel = channel_.shared();
          lock.unlock();
          NAPIX_TRY {
            auto run = [probe = Probe(this->weak_from_this())](Napi::Env) mutable { probe.ran(); };
            send_to(channel.get(), std::move(run), false);
          }
          NAPIX_CATCH(...) { probed(true); }  // bad_alloc: try again next time
          lock.lock();
        }
        continue;
      }
      if (state_ == State::failed) {
        state_ = State::ended;  // thrown once; later reads give nullopt
        JsError e = std::move(*error_);
        error_.reset();
        return Out::js_error(std::move(e)).take();
      }
      if (state_ == State::closing) return Out::closing().take();
      return Out::success(std::nullopt).take();  // ended or cancelled
    }
  }
  std::optional<T> value(std::move(taken_.front()));
  taken_.pop_front();
  taken_size_.store(taken_.size(), std::memory_order_relaxed);
  read_total_.fetch_add(1, std::memory_order_relaxed);
  const std::size_t freed = freed_.fetch_add(1) + 1;
  if (freed >= wake_at_ && paused_hint_.load()) wake_pump();
  return Out::success(std::move(value)).take();
}

template <class T>
void ReaderCore<T>::drop_taken() noexcept {
  // A read() in progress keeps them; it drops them itself on its next call (dropped_).
  if (!read_mutex_.try_lock()) return;
  std::deque<T> rest;
  rest.swap(taken_);
  taken_size_.store(0, std::memory_order_relaxed);
  read_mutex_.unlock();
}

template <class T>
void ReaderCore<T>::wake_pump() {
  std::shared_ptr<ChannelCore> wake;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!paused_ || wake_queued_ || freed_.load() < wake_at_) return;
    wake_queued_ = true;
    ++stats_.wakes;
    wake = channel_.shared();
  }
  if (!wake) return;
  // Refused only at teardown, which wakes this reader by itself.
  auto run = [self = this->shared_from_this()](Napi::Env env) { self->resume(env); };
  send_to(wake.get(), std::move(run), false);
}

template <class T>
void ReaderCore<T>::probed(bool alive) noexcept {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    probe_pending_ = false;
    if (alive || state_ != State::open) return;
    state_ = State::closing;  // JS objects: env_closing lets go of them, on the JS thread
    queue_.clear();
    dropped_.store(true, std::memory_order_release);
  }
  changes_.fetch_add(1, std::memory_order_release);  // ends a spinning read()
  ready_.notify_all();
}

template <class T>
void ReaderCore<T>::cancel() noexcept {
  std::shared_ptr<ChannelCore> stop;
  std::deque<T> rest;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == State::open) stop = channel_.shared();  // the pump still pulls: stop it
    if (state_ != State::closing) state_ = State::cancelled;
    error_.reset();
    rest.swap(queue_);
    dropped_.store(true, std::memory_order_release);
  }
  changes_.fetch_add(1, std::memory_order_release);  // ends a spinning read()
  ready_.notify_all();
  rest.clear();  // destroyed outside the lock
  drop_taken();
  if (stop) {
    NAPIX_TRY {
      auto run = [self = this->shared_from_this()](Napi::Env env) { self->halt(env); };
      send_to(stop.get(), std::move(run), false);
    }
    // No memory for the closure: the pump pauses by itself once its credit is gone.
    NAPIX_CATCH(...) {}
  }
}

template <class T>
std::int64_t ReaderCore<T>::deliver(napi_env env, napi_value values, int final, napi_value error,
                                    std::int64_t credit) {
  if (final == 3) {  // the process is exiting
    env_closing(env);
    env_entry(env).forget(this);
    return -1;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ != State::open) return -1;
  }
  // Converted outside the lock: from_js may run user code (getters, a user's Converter).
  std::vector<T> converted;
  std::optional<JsError> failure;
  std::uint32_t length = 0;
  napi_get_array_length(env, values, &length);
  converted.reserve(length);
  for (std::uint32_t i = 0; i < length && !failure; ++i) {
    napi_value v = nullptr;
    napi_get_element(env, values, i, &v);
    Result<T> r = try_from_js<T>(Napi::Value(env, v));
    if (r.ok()) {
      converted.push_back(std::move(r).value());
    } else {
      Error e = std::move(r).error();
      failure.emplace(std::move(e.name), std::move(e.message), std::string(), std::move(e.code));
    }
  }
  if (!failure && final == 2) failure.emplace(JsError::from_value(Napi::Value(env, error)));
  std::int64_t answer = 0;
  bool finished = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ != State::open) return -1;  // cancelled while converting
    for (T& v : converted) queue_.push_back(std::move(v));
    stats_.delivered += converted.size();
    ++stats_.batches;
    if (failure) {
      state_ = State::failed;
      error_ = std::move(failure);
      finished = true;
    } else if (final == 1) {
      state_ = State::ended;
      finished = true;
    } else {
      answer = static_cast<std::int64_t>(freed_.exchange(0));
      paused_ = credit == 0 && answer == 0;
      paused_hint_.store(paused_);
      // A read that reached half the mark between the exchange and the store saw no hint, so
      // sent no wakeup: its credit is taken here instead.
      if (paused_ && freed_.load() >= wake_at_) {
        answer = static_cast<std::int64_t>(freed_.exchange(0));
        paused_ = false;
        paused_hint_.store(false);
      }
    }
  }
  changes_.fetch_add(1, std::memory_order_release);  // ends a spinning read()
  ready_.notify_all();
  if (finished) let_go_js(env, true);
  return finished ? -1 : answer;
}

template <class T>
void ReaderCore<T>::resume(napi_env env) noexcept {
  std::int64_t n = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wake_queued_ = false;
    if (state_ != State::open) return;
    n = static_cast<std::int64_t>(freed_.exchange(0));
    paused_ = false;
    paused_hint_.store(false);
  }
  control(env, n);
}

template <class T>
void ReaderCore<T>::halt(napi_env env) noexcept {
  control(env, -1);
  let_go_js(env, true);
}

template <class T>
void ReaderCore<T>::control(napi_env env, std::int64_t n) noexcept {
  napi_value fn = nullptr, arg = nullptr, undefined = nullptr, ignored = nullptr;
  if (control_ == nullptr || napi_get_reference_value(env, control_, &fn) != napi_ok ||
      fn == nullptr) {
    return;
  }
  napi_create_int64(env, n, &arg);
  napi_get_undefined(env, &undefined);
  // control() itself does not throw; pump() reports the source's failures through deliver.
  if (napi_call_function(env, undefined, fn, 1, &arg, &ignored) != napi_ok) {
    clear_pending_js_error(env);
  }
}

template <class T>
void ReaderCore<T>::let_go_js(napi_env env, bool forget) noexcept {
  if (control_ != nullptr) napi_delete_reference(env, control_);
  control_ = nullptr;
  CoreHandle<> last;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last = std::move(channel_);
    stats_.js_released = true;
  }
  auto keep = this->shared_from_this();  // forget() may drop the EnvEntry's hold, the last one
  if (forget) env_entry(env).forget(this);
}

template <class T>
void ReaderCore<T>::env_closing(napi_env env) noexcept {
  std::deque<T> rest;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == State::open) {
      state_ = State::closing;
      rest.swap(queue_);
      dropped_.store(true, std::memory_order_release);
    }
  }
  changes_.fetch_add(1, std::memory_order_release);  // ends a spinning read()
  ready_.notify_all();
  rest.clear();
  drop_taken();
  let_go_js(env, false);  // the entry is closing: it already let go of this listener
}

}  // namespace detail
}  // namespace napix
