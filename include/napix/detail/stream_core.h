// napix/detail/stream_core.h — the inside of napix::stream<T>(): the native half (StreamCore, the
// state writers and the JS thread share) and the JS half (an async iterator compiled once per
// environment). Values cross in batches: writers queue them; the iterator pulls the batch itself
// when its buffer runs empty, or, when it found nothing, the next write sends one flush (a wakeup
// of the JS thread). Either way the batch is converted on the JS thread and handed over as an
// array (numbers: one Float64Array), and `next()` serves values from it — no native call per
// value. The iterator reports what it took every half mark (`sync`): blocked writers go on then.
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
#include <type_traits>
#include <utility>
#include <vector>

#include "../config.h"
#include "../convert.h"
#include "../error.h"
#include "dispatcher.h"
#include "env.h"
#include "js_thread.h"
#include "spin.h"
#include "visibility.h"

namespace napix {

/// The `code` of the Error a stream's iteration rejects with when every StreamWriter was destroyed
/// without `end()` or `fail()`.
NAPIX_LOCAL inline constexpr const char* kStreamDroppedCode = "ERR_NAPIX_STREAM_DROPPED";

namespace detail {

// The iterator. `sync(n, pull, scratch)` is the one native call: n >= 0 values were taken since
// the last one (made every `every` values, and when the buffer runs empty: then with `pull`, which
// hands the values queued natively over at once, without a trip through the event loop — for up
// to kStreamPullBudget, then it returns -1 and the iterator pulls again from a setImmediate), n < 0
// the reader stopped. A stream of numbers pulls into its `scratch` Float64Array (`scratchSize`
// values, made on the first pull and reused: sync returns how many it wrote), so a pull makes no
// JS object and no call back into JS. `push(values, final, error)` is called natively, by a flush
// or inside any other pull; `final` 1 = ended, 2 = failed with `error`. The native side holds `push` strongly and `it`
// not at all: `push` reaches the pending next() promises (`waiters`) and through them a suspended
// `for await` — so a loop waiting for values is never collected — but not `it` itself, so an
// iterator nobody holds or waits on is collected, and its finalizer stops the stream. Keep it so:
// no closure in here may name `it`.
NAPIX_LOCAL inline constexpr const char* kStreamIteratorSource = R"JS((function napixStream(sync, every, scratchSize) {
  'use strict';
  // One kind of buffer per stream (Float64Arrays for numbers, else Arrays), so the element loads
  // in take() stay monomorphic. The values not yet taken are buf[head .. end).
  const numbers = scratchSize > 0;
  const empty = numbers ? new Float64Array(0) : [];
  const defer = typeof setImmediate === 'function' ? setImmediate : (f) => setTimeout(f, 0);
  let buf = empty, head = 0, end = 0, taken = 0, state = 0, error, stopped = false, scratch = null;
  let pulling = false, drained = false, holding = false;
  const waiters = [];
  const done = (value) => ({ value, done: true });
  // Tells the native side how many values were taken. `pull` 1: the buffer is empty, so the values
  // queued natively (and the end, if it came) are handed over now, through push(), inside this
  // call — or, when there are none, by a flush once a writer writes. 2: the same, after a turn.
  function report(pull) {
    const n = taken;
    taken = 0;
    if (stopped || state !== 0) return;
    if (!pull) {
      sync(n, 0);
      return;
    }
    let got;
    pulling = true;
    try {
      got = sync(n, pull, numbers ? (scratch ||= new Float64Array(scratchSize)) : undefined);
    } finally {
      pulling = false;
    }
    if (got > 0) {  // the buffer was empty: nothing in scratch is still unread
      buf = scratch;
      head = 0;
      end = got;
    }
    if (head === end && state === 0) drained = true;
    if (got < 0) defer(resume);  // pulled for long enough: let timers and I/O have a turn first
  }
  function resume() {
    if (stopped || state !== 0) return;
    drained = false;
    if (head === end) report(2);
    settle();
  }
  function take() {
    const value = buf[head];
    if (numbers) ++head;
    else buf[head++] = undefined;  // let the value go once taken
    ++taken;
    if (head === end) {
      buf = empty;
      head = end = 0;
      report(1);
    } else if (taken >= every) {
      report(0);
    }
    return { value, done: false };
  }
  function settle() {
    while (waiters.length > 0) {
      if (head < end) {
        const w = waiters.shift();
        w.resolve(take());
      } else if (state === 2) {
        const e = error;
        error = undefined;
        state = 1;
        waiters.shift().reject(e);
      } else if (state === 1 || stopped) {
        waiters.shift().resolve(done(undefined));
      } else {
        break;
      }
    }
  }
  function stop() {
    if (!stopped) {
      stopped = true;
      buf = empty;
      head = end = 0;
      taken = 0;
      if (state === 0) sync(-1, 0);
    }
    settle();
  }
  const it = {
    next() {
      if (waiters.length === 0) {
        if (head === end && !drained) report(1);
        if (head < end) return Promise.resolve(take());
        if (state === 2) {
          const e = error;
          error = undefined;
          state = 1;
          return Promise.reject(e);
        }
        if (state === 1 || stopped) return Promise.resolve(done(undefined));
      }
      return new Promise((resolve, reject) => {
        waiters.push({ resolve, reject });
      });
    },
    return(value) {
      stop();
      return Promise.resolve(done(value));
    },
    throw(e) {
      stop();
      return Promise.reject(e);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  // After a flush, no other flush is asked for until the turn after it: Deno can lose a call
  // made while that tsfn's callback (and the reactions it started) runs (doc/compat.md R8).
  function released() {
    holding = false;
    if (!stopped && state === 0) sync(0, 3);
  }
  function push(values, final, err) {
    if (stopped) return;
    if (!pulling && !holding) {
      holding = true;
      defer(released);
    }
    drained = false;
    if (head === end) {
      buf = values;  // served as it came
      head = 0;
      end = values.length;
    } else if (numbers) {
      const rest = end - head;
      const joined = new Float64Array(rest + values.length);
      joined.set(buf.subarray(head, end));
      joined.set(values, rest);
      buf = joined;
      head = 0;
      end = joined.length;
    } else {
      for (let i = 0; i < values.length; i++) buf.push(values[i]);
      end = buf.length;
    }
    if (final !== 0) {
      state = final;
      error = err;
    }
    if (!pulling) settle();  // a pull is inside take(): its caller goes on with the new values
  }
  return [it, push];
}))JS";

// Numbers cross as one Float64Array per batch (one copy, not a napi_set_element per value): the
// T whose built-in to_js makes a number a double holds exactly — and only while that built-in
// converter is the one in use (a user's full specialization of Converter<T> is called per value).
template <class T, class = void>
NAPIX_LOCAL inline constexpr bool kBuiltinNumber = false;
template <class T>
NAPIX_LOCAL inline constexpr bool kBuiltinNumber<T, std::void_t<decltype(Converter<T>::napix_builtin_number)>> =
    Converter<T>::napix_builtin_number;
template <class T>
NAPIX_LOCAL inline constexpr bool kNumberBatch =
    kBuiltinNumber<T> &&
    ((std::is_floating_point_v<T> && sizeof(T) <= sizeof(double)) ||
     (std::is_integral_v<T> && !std::is_same_v<T, bool> && sizeof(T) <= 4));

// Values the iterator may pull: converted inside its next(), so in the async context of the code
// calling it. Only napix's own leaf converters qualify (they run no JS and no user code); any
// other T (a user's Converter may call into JS) converts in flushes, in the creator's context.
template <class T, class = void>
NAPIX_LOCAL inline constexpr bool kPullable = false;
template <class T>
NAPIX_LOCAL inline constexpr bool kPullable<T, std::void_t<decltype(Converter<T>::napix_runs_no_js)>> =
    Converter<T>::napix_runs_no_js;

/// For tests (napix's test addon): what a stream did with the values written to it.
struct StreamStats {
  std::uint64_t written = 0;                ///< write/try_write calls that returned ok
  std::uint64_t converted = 0;              ///< values converted and handed to the iterator
  std::uint64_t destroyed_unconverted = 0;  ///< values dropped before conversion (reader stopped)
  std::size_t max_unread = 0;               ///< the most values ever written and not yet taken
  std::size_t blocked = 0;                  ///< writers waiting for room now
  std::uint64_t flushes = 0;  ///< batches a flush brought (a wakeup of the JS thread each)
  std::uint64_t pulls = 0;    ///< batches the iterator pulled itself when its buffer ran empty
  std::uint64_t deferred = 0; ///< pulls put off to the next turn: kStreamPullBudget used up
  /// Flushes asked for while one was outstanding, sent by the iterator a turn after it ran.
  std::uint64_t held_flushes = 0;
  /// Blocking writes that found the stream full, by how the writer waited: its spin saw room
  /// (hit), ran out (missed), or was skipped (its budget backs off after misses); and how many
  /// of them then slept on the condition variable.
  std::uint64_t writer_spins_hit = 0;
  std::uint64_t writer_spins_missed = 0;
  std::uint64_t writer_spins_skipped = 0;
  std::uint64_t writer_sleeps = 0;
  /// Waits on the condition variable (a writer woken to find the room taken by another waits
  /// again), and the notifications the reader's reports sent to writers waiting there: at most
  /// one per wait (a writer woken but not yet running is not notified again).
  std::uint64_t writer_waits = 0;
  std::uint64_t writer_wakes = 0;
  /// Pulls that found the queue empty while a writer waited for room that is there: the JS thread
  /// spun for its next write, and saw it (hit), ran out (missed), or skipped the spin (back-off).
  std::uint64_t pull_spins_hit = 0;
  std::uint64_t pull_spins_missed = 0;
  std::uint64_t pull_spins_skipped = 0;
};

/// How long the iterator may go on pulling values that writers queued meanwhile before it lets
/// the event loop have a turn (it pulls again from a setImmediate): the same bound as a
/// Dispatcher's turn (kTurnBudget), so a producer that keeps ahead cannot starve timers and I/O.
NAPIX_LOCAL inline constexpr std::chrono::microseconds kStreamPullBudget = Dispatcher<ChannelJob>::kTurnBudget;

/// The longest a writer blocked at the mark spins for room before it sleeps. Room comes when the
/// loop has read half the mark: at a mark of 1,024 and 70-100 ns per value, 35-50 µs — a sleep
/// instead costs the JS thread a futex wake (several µs on a VM) every half mark. The writer's
/// SpinBudget spins about 4x what recent hits took and backs off after misses (spin.h).
NAPIX_LOCAL inline constexpr std::chrono::microseconds kStreamWriterSpinMax{64};

/// The most numbers one pull copies into the iterator's scratch Float64Array (32 KiB), which is
/// made once per stream with min(high_water_mark, this) elements.
NAPIX_LOCAL inline constexpr std::size_t kStreamScratchMax = 4096;

/// The longest a pull that found nothing spins for the write of a writer it just gave room to:
/// a spinning writer writes within a µs or two, and missing costs the JS thread this long.
NAPIX_LOCAL inline constexpr std::chrono::microseconds kStreamPullSpinMax{8};

/// The state a stream's writers and its JS thread share. Thread: any, except where marked.
template <class T>
class StreamCore : public std::enable_shared_from_this<StreamCore<T>> {
 public:
  enum class State { open, ended, failed, dropped, stopped };

  StreamCore(napi_env env, std::size_t high_water_mark)
      : env_(env), js_thread_(std::this_thread::get_id()), hwm_(high_water_mark) {}

  /// Makes the Dispatcher the flushes travel through (its async context is the creator's).
  /// Thread: JS thread only.
  void open(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    channel_ = CoreHandle<>(Dispatcher<ChannelJob>::create(env_, env_entry(env_).trampoline(), nullptr,
                                                           nullptr, name, 0, /*keep_alive=*/true));
  }

  /// Queues `value`; `block`: wait while high_water_mark values are unread (never on the JS
  /// thread: `queue_full` there). `closing` once the stream is no longer open.
  Status write(T& value, bool block);
  /// Ends the stream (ended, failed or dropped) after the values written before; wakes blocked
  /// writers with `closing`. No effect unless open.
  void finish(State how, std::optional<Error> error = std::nullopt);
  bool closed() {
    std::lock_guard<std::mutex> lock(mutex_);
    return state_ != State::open;
  }

  /// A StreamWriter was made / destroyed (its CoreHandle counts them). The last writer gone
  /// without end()/fail() fails the iteration with ERR_NAPIX_STREAM_DROPPED.
  void add_handle() noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    ++writers_;
  }
  void drop_handle() noexcept;

  /// Converts the queued values and hands them to the iterator (`pulled`: inside its pull, else
  /// by a flush job, a turn of the event loop). Thread: JS thread only.
  void flush(napi_env env, bool pulled = false);
  /// A flush destroyed unrun (the environment is going): the stream stops.
  void flush_lost() noexcept { stop(false); }
  /// The iterator's `sync(n, pull)`: n values taken, or (n < 0) the reader stopped. `pull` 1 or 2:
  /// its buffer is empty — the values queued (and the end, if it came) are pushed now; when there
  /// are none, the next write sends a flush. 2: the event loop had a turn since the last pull.
  /// Returns -1 when it pushed nothing because the pulls used up kStreamPullBudget: the iterator
  /// pulls again after a turn. `pull` 3: a turn went by since a flush ran: a flush held back
  /// meanwhile is asked for now. Thread: JS thread only.
  /// `scratch`: for a stream of numbers (kNumberBatch), the iterator's Float64Array of `room`
  /// values. An open stream's pull writes up to `room` queued values there and returns how many
  /// (the rest stay queued for the next pull), else -1 as above, else 0.
  std::int32_t sync(napi_env env, std::int64_t n, int pull, double* scratch = nullptr,
                    std::size_t room = 0);
  /// The reader stopped (return(), throw(), garbage collection, teardown): later writes and blocked
  /// writers get `closing`, queued values are destroyed unconverted. `js`: on the JS thread, which
  /// may also let go of the iterator and the Dispatcher.
  void stop(bool js) noexcept;

  /// The iterator's `push` function (see kStreamIteratorSource). Thread: JS thread only.
  void set_push(napi_env env, napi_value push) { napi_create_reference(env, push, 1, &push_); }

  StreamStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

 private:
  // Written values: a vector whose capacity goes back and forth with spare_, so a steady stream
  // allocates nothing per batch; a deque for bool, which a vector would pack into bits.
  using Queue = std::conditional_t<std::is_same_v<T, bool>, std::deque<T>, std::vector<T>>;

  // One queued flush; destroyed unrun it stops the stream (see flush_lost).
  struct Flush {
    std::shared_ptr<StreamCore> core;
    explicit Flush(std::shared_ptr<StreamCore> c) noexcept : core(std::move(c)) {}
    Flush(Flush&& o) noexcept = default;
    Flush& operator=(Flush&&) = delete;
    ~Flush() {
      if (core) core->flush_lost();
    }
    void operator()(Napi::Env env) {
      std::shared_ptr<StreamCore> c = std::move(core);
      c->flush(env);
    }
  };

  // The channel to send a flush through, or null: one is outstanding (the wish is held until the
  // iterator's sync(0, 3)). Called under mutex_.
  std::shared_ptr<ChannelCore> want_flush() {
    if (flush_out_) {
      if (!flush_held_) ++stats_.held_flushes;
      flush_held_ = true;
      return nullptr;
    }
    flush_out_ = true;
    return channel_.shared();
  }
  // Sends a flush through `channel` (from want_flush). Called without mutex_: a refused Flush is
  // destroyed here and stops the stream.
  void request_flush(const std::shared_ptr<ChannelCore>& channel) {
    if (channel) send_to(channel.get(), Flush(this->shared_from_this()), false);
  }
  // The Error the iteration rejects with once every writer is gone.
  static Error dropped_error() {
    return Error("Error", "napix: every StreamWriter was destroyed without end() or fail()",
                 kStreamDroppedCode);
  }
  // Destroys a flushed batch's values and keeps its capacity for the next swap.
  void recycle(Queue& values) {
    values.clear();
    if constexpr (!std::is_same_v<Queue, std::deque<T>>) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (spare_.capacity() < values.capacity()) spare_.swap(values);
    }
  }
  // After the final batch or a stop: nothing more goes to JS. Thread: JS thread only.
  void let_go_js(napi_env env) noexcept {
    if (push_ != nullptr) napi_delete_reference(env, push_);
    push_ = nullptr;
    CoreHandle<> last;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      last = std::move(channel_);
    }
  }
  // Whether writers asleep on space_ need a notify (then counted as sent). Called under mutex_.
  bool wake_sleepers() noexcept {
    if (!sleepers_) return false;
    sleepers_ = false;
    ++stats_.writer_wakes;
    return true;
  }
  // Room may have appeared, or the stream closed: what a writer spinning for room watches.
  // Called after the change, under mutex_ or (sync) just after releasing it.
  void room_event() noexcept { room_events_.fetch_add(1, std::memory_order_release); }
  // A writer blocked at the mark spins while room_events_ reads `seen`, as long as its thread's
  // budget allows. Called without mutex_; the caller re-checks under it.
  NAPIX_LOCAL SpinEnd spin_for_room(std::uint32_t seen) noexcept {
    // One miss in a row is forgiven: the reader's pauses (a scavenge: 40-80 µs) outlast a spin
    // now and then, and backing off after each would put the writer to sleep twice per pause.
    static thread_local SpinBudget budget{std::chrono::microseconds(2), kStreamWriterSpinMax, 1};
    return spin_while(budget, room_events_, seen);
  }

  const napi_env env_;
  const std::thread::id js_thread_;
  const std::size_t hwm_;
  std::mutex mutex_;
  std::condition_variable space_;  // writers blocked on a full stream
  // A writer went to sleep on space_ since writers were last notified. The reader's reports
  // notify only then: a notify while a woken writer has not run yet is another futex syscall on
  // the JS thread (several µs on a VM), and reports come every half mark.
  bool sleepers_ = false;
  Queue queue_;                    // written, not yet converted
  Queue spare_;                    // an empty queue with capacity, for the next swap
  std::size_t unread_ = 0;         // written and not yet taken by next() (queue_ + JS buffer)
  // Bumped whenever room may have appeared (after the change, once mutex_ is free) or the stream
  // closed.
  std::atomic<std::uint32_t> room_events_{0};
  // Bumped (under mutex_) by every write: what a pull that found nothing spins on.
  std::atomic<std::uint32_t> write_events_{0};
  std::size_t waiting_ = 0;  // writers blocked at the mark now, spinning or asleep
  // The pull's spin for a writer's next write (JS thread only).
  SpinBudget pull_spin_{std::chrono::microseconds(1), kStreamPullSpinMax};
  State state_ = State::open;
  std::optional<Error> error_;  // failed: the error; dropped: dropped_error()
  // The next write sends a flush: the iterator found nothing when it last pulled (or never
  // pulled). While it is busy it pulls the queue itself, and writers do not wake the JS thread.
  // (A T that is not kPullable: set again by every flush, so each batch is one flush.)
  bool notify_js_ = true;
  // A flush was asked for and its turn is not over: it is queued or ran, and the iterator has not
  // yet called sync(0, 3) from the setImmediate that its push scheduled. Meanwhile no other flush
  // is asked for — so none while that flush's tsfn callback or the promise reactions it started
  // run (Deno can lose such a call, doc/compat.md R8) — and flush_held_ records the wish.
  bool flush_out_ = false;
  bool flush_held_ = false;
  // When the event loop last had a turn, as far as the stream knows: a flush job ran or the
  // iterator pulled after a setImmediate. JS thread only.
  std::chrono::steady_clock::time_point turn_start_ = std::chrono::steady_clock::now();
  std::size_t writers_ = 0;
  StreamStats stats_;
  CoreHandle<> channel_;  // guarded by mutex_ once open() returned

  napi_ref push_ = nullptr;  // JS thread only
};

// ---------------------------------------------------------------------------------------------
// Definitions

template <class T>
Status StreamCore<T>::write(T& value, bool block) {
  std::shared_ptr<ChannelCore> flush;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    const bool js = std::this_thread::get_id() == js_thread_;
    bool spun = false, slept = false, waited = false;
    for (;;) {
      if (state_ != State::open) {
        if (waited) --waiting_;
        return Status::closing;
      }
      if (unread_ < hwm_) break;
      if (!block || js) return Status::queue_full;
      if (!waited) ++waiting_;
      waited = true;
      if (!spun) {
        // A fast loop makes room within µs: spinning for it costs no thread wakeup at all.
        spun = true;
        const std::uint32_t seen = room_events_.load(std::memory_order_relaxed);
        lock.unlock();
        const SpinEnd how = spin_for_room(seen);
        lock.lock();
        ++(how == SpinEnd::hit      ? stats_.writer_spins_hit
           : how == SpinEnd::missed ? stats_.writer_spins_missed
                                    : stats_.writer_spins_skipped);
        continue;
      }
      if (!slept) ++stats_.writer_sleeps;
      slept = true;
      ++stats_.blocked;
      sleepers_ = true;
      ++stats_.writer_waits;
      space_.wait(lock);
      --stats_.blocked;
    }
    if (waited) --waiting_;
    queue_.push_back(std::move(value));
    write_events_.fetch_add(1, std::memory_order_release);
    ++unread_;
    ++stats_.written;
    if (unread_ > stats_.max_unread) stats_.max_unread = unread_;
    if (notify_js_) flush = want_flush();
    notify_js_ = false;
  }
  request_flush(flush);
  return Status::ok;
}

template <class T>
void StreamCore<T>::finish(State how, std::optional<Error> error) {
  std::shared_ptr<ChannelCore> flush;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ != State::open) return;
    state_ = how;
    error_ = std::move(error);
    room_event();
    flush = want_flush();  // always: the end lets go of the event loop, pulled or not
    notify_js_ = false;
  }
  space_.notify_all();
  request_flush(flush);
}

template <class T>
void StreamCore<T>::drop_handle() noexcept {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--writers_ != 0 || state_ != State::open) return;
  }
  NAPIX_TRY { finish(State::dropped, dropped_error()); }
  NAPIX_CATCH(...) { stop(false); }  // no memory for the error: at least nobody waits forever
}

template <class T>
void StreamCore<T>::flush(napi_env env, bool pulled) {
  if (!pulled) turn_start_ = std::chrono::steady_clock::now();
  Queue values;
  State state;
  std::optional<Error> error;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == State::stopped) return;
    if constexpr (!kPullable<T>) notify_js_ = true;  // the next write sends the next flush
    values.swap(queue_);
    queue_.swap(spare_);
    state = state_;
    error = error_;  // copied: a later flush must not see it moved from
  }
  // The end already went to JS through a pull. (A flush that finds nothing new, a pull took it
  // first, still pushes its empty batch: the push schedules the iterator's sync(0, 3).)
  if (values.empty() && push_ == nullptr) return;
  napi_value push = nullptr;
  if (push_ == nullptr || napi_get_reference_value(env, push_, &push) != napi_ok || push == nullptr) {
    stop(true);
    return;
  }
  napi_value array = nullptr, failure = nullptr;
  std::size_t count = 0;
  if constexpr (kNumberBatch<T>) {
    void* data = nullptr;
    napi_value buffer = nullptr;
    if (napi_create_arraybuffer(env, values.size() * sizeof(double), &data, &buffer) == napi_ok &&
        napi_create_typedarray(env, napi_float64_array, values.size(), buffer, 0, &array) ==
            napi_ok) {
      auto* out = static_cast<double*>(data);
      for (T& v : values) out[count++] = static_cast<double>(v);
    } else {
      failure = take_pending_exception(env);
      if (failure == nullptr) {
        failure =
            to_js_error(Napi::Env(env), Error("Error", "napix::stream: no memory for a batch"))
                .Value();
      }
      napi_create_array(env, &array);
    }
  } else {
    napi_create_array(env, &array);  // not _with_length: a failed conversion ends it early
    for (T& v : values) {
      napi_value js = nullptr;
      NAPIX_TRY { js = napix::to_js(Napi::Env(env), std::move(v)); }
      NAPIX_CATCH(...) { failure = caught_js_error(env); }
      if (js == nullptr && failure == nullptr) failure = take_pending_exception(env);
      if (failure != nullptr) break;  // the values before it, then the conversion's error
      napi_set_element(env, array, static_cast<std::uint32_t>(count++), js);
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.converted += count;
    if (count > 0) ++(pulled ? stats_.pulls : stats_.flushes);
    // A failed conversion: the values of this batch after the refused one (all of a number batch
    // that found no memory) are destroyed unconverted with `values`, like those still queued.
    if (failure != nullptr) stats_.destroyed_unconverted += values.size() - count - (kNumberBatch<T> ? 0 : 1);
  }
  int final = 0;
  napi_value error_value = nullptr;
  napi_get_undefined(env, &error_value);
  if (failure != nullptr) {
    final = 2;
    error_value = failure;
  } else if (state == State::ended) {
    final = 1;
  } else if (state == State::failed || state == State::dropped) {
    final = 2;
    error_value = to_js_error(Napi::Env(env), *error).Value();
  }
  recycle(values);
  napi_value args[3] = {array, nullptr, error_value};
  napi_create_int32(env, final, &args[1]);
  napi_value undefined = nullptr, ignored = nullptr;
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, push, 3, args, &ignored);
  if (failure != nullptr) {
    stop(true);  // a value that cannot be converted ends the stream for its writers too
  } else if (final != 0) {
    let_go_js(env);
  }
}

template <class T>
std::int32_t StreamCore<T>::sync(napi_env env, std::int64_t n, int pull, double* scratch,
                                 std::size_t room) {
  if (n < 0) {
    stop(true);
    return 0;
  }
  bool deliver = false, later = false, wake = false, announce = n > 0;
  // Announces the room this report gave to spinning writers, and wakes writers asleep, once the
  // lock is free: a writer that saw the room while this thread held the lock would block on the
  // lock, and cost this thread a futex wake to unlock it. Does each at most once.
  auto publish = [&] {
    if (std::exchange(announce, false)) room_event();
    if (std::exchange(wake, false)) space_.notify_all();
  };
  std::size_t into_scratch = 0;
  std::shared_ptr<ChannelCore> held;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    unread_ -= static_cast<std::size_t>(n) <= unread_ ? static_cast<std::size_t>(n) : unread_;
    if (n > 0) wake = wake_sleepers();
    if (pull == 3) {
      flush_out_ = false;
      if (flush_held_ && state_ != State::stopped) held = want_flush();
      flush_held_ = false;
    } else if (pull != 0 && state_ != State::stopped && kPullable<T>) {
      if (queue_.empty() && state_ == State::open && waiting_ > 0 && unread_ < hwm_) {
        // A writer waits for room that is there now: it writes within µs (it spins for room),
        // so spin that long here rather than send the loop through a flush, a thread wakeup.
        const std::uint32_t seen = write_events_.load(std::memory_order_relaxed);
        // Writers asleep are woken now, not after the spin: the spin waits for their write.
        if (wake_sleepers()) wake = true;
        lock.unlock();
        publish();
        const SpinEnd how = spin_while(pull_spin_, write_events_, seen);
        lock.lock();
        ++(how == SpinEnd::hit      ? stats_.pull_spins_hit
           : how == SpinEnd::missed ? stats_.pull_spins_missed
                                    : stats_.pull_spins_skipped);
      }
      const auto now = std::chrono::steady_clock::now();
      if (pull == 2) turn_start_ = now;
      deliver = !queue_.empty() || state_ != State::open;
      if (!deliver) {
        notify_js_ = true;
      } else if (state_ == State::open && now - turn_start_ >= kStreamPullBudget) {
        deliver = false;
        later = true;
        ++stats_.deferred;
      }
      if constexpr (kNumberBatch<T>) {
        // Numbers of an open stream: straight into the iterator's scratch, under the lock.
        if (deliver && state_ == State::open && scratch != nullptr && room > 0) {
          into_scratch = queue_.size() < room ? queue_.size() : room;
          for (std::size_t i = 0; i < into_scratch; ++i) scratch[i] = static_cast<double>(queue_[i]);
          queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(into_scratch));
          stats_.converted += into_scratch;
          ++stats_.pulls;
          deliver = false;
        }
      }
    }
  }
  publish();
  request_flush(held);
  if (deliver) flush(env, true);
  return later ? -1 : static_cast<std::int32_t>(into_scratch);
}

template <class T>
void StreamCore<T>::stop(bool js) noexcept {
  Queue rest;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ != State::stopped) {
      state_ = State::stopped;
      stats_.destroyed_unconverted += queue_.size();
      rest.swap(queue_);
      unread_ = 0;
      room_event();
    }
  }
  space_.notify_all();
  rest.clear();  // destroyed unconverted, outside the lock
  if (js) let_go_js(env_);
}

}  // namespace detail
}  // namespace napix
