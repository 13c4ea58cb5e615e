// napix/detail/dispatcher.h — the Node-API half of Channel and ThreadSafeCallback: one control
// block shared by every copy of a handle, owning napix's queue and the one napi_threadsafe_function
// used only as a wakeup.
//
// Rules it keeps (doc/design.md says why: "The life of a Channel item" and the behaviours list):
// - the tsfn has an unbounded queue and is only ever called non-blocking, and only while napix's
//   queue is open, under that queue's lock; the tsfn finalizer closes the queue under the same
//   lock, so no thread touches the tsfn after its finalizer (Node 20/22 free it right away);
// - a call that returned napi_closing consumed our thread count: never release after it;
// - back-pressure is napix's own condition variable, and closing wakes every blocked producer;
// - one wakeup per batch; the JS thread runs up to kMaxBatch items per turn in one HandleScope;
// - after a batch that a waited-for call (call_sync, send_sync) reached, the JS thread lingers a
//   few µs for the next item (spin bounded by a SpinBudget: only while lingers pay), so a caller
//   that sends its next call at once costs no wakeup at all;
// - the batch runs through the environment's Trampoline in an async context made at
//   construction, so AsyncLocalStorage survives (Node 24+ lose it through napi_call_function in
//   a tsfn callback);
// - user code is not started once the environment can no longer run JS.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "../config.h"
#include "../error.h"
#include "batch_queue.h"
#include "js_thread.h"
#include "module_pin.h"
#include "outcome.h"
#include "spin.h"
#include "trampoline.h"
#include "unique_function.h"
#include "visibility.h"

namespace napix {

namespace detail {

/// What a queued item gets on the JS thread: the environment, and the receiver and function of a
/// ThreadSafeCallback (both `undefined` for a Channel).
struct RunContext {
  napi_env env;
  napi_value self;
  napi_value fn;
  /// Set by an item that ran user code, or whose own call into JS failed: the dispatcher then
  /// asks whether JS can still run before starting the next item (see run_batch).
  mutable bool check_js = false;
};

/// For tests: how items reached the JS thread. `wakes`: producer pushes that woke it
/// (an empty queue's first item); the linger counters: after a batch emptied the queue, the JS
/// thread saw a new item while spinning (`hits`), spun in vain (`misses`), or did not spin because
/// recent lingers missed (`skipped`).
struct DispatchStats {
  std::uint64_t wakes = 0;
  std::uint64_t linger_hits = 0;
  std::uint64_t linger_misses = 0;
  std::uint64_t linger_skipped = 0;
};

/// The longest the JS thread lingers for the next item after a batch (NAPIX_JS_LINGER_US
/// overrides; 0 turns lingering off). 20 µs covers a producer's next call after an answer with
/// room (about 1 µs on an idle machine) and bounds what a miss costs the event loop.
NAPIX_LOCAL inline std::chrono::nanoseconds js_linger_limit() {
  static const std::chrono::nanoseconds limit =
      env_microseconds("NAPIX_JS_LINGER_US", std::chrono::microseconds(20), std::chrono::seconds(4));
  return limit;
}

constexpr Status to_status(PushResult r) noexcept {
  return r == PushResult::ok ? Status::ok
         : r == PushResult::queue_full ? Status::queue_full
                                        : Status::closing;
}

/// What a Channel holds: the queue-kind-independent face of a Dispatcher, so a Channel can also
/// feed a TypedThreadSafeCallback's typed queue (its `channel()`), FIFO with its calls.
using ChannelJob = UniqueFunction<void(const RunContext&)>;

class ChannelCore {
 public:
  /// Queues `job` (moved from only on `ok`). Thread: any.
  virtual Status push_job(ChannelJob& job, bool block) = 0;
  virtual void add_handle() noexcept = 0;
  virtual void drop_handle() noexcept = 0;
  virtual void abort() = 0;
  virtual void ref() = 0;
  virtual void unref() = 0;
  virtual bool has_ref() const noexcept = 0;
  virtual bool on_js_thread() const noexcept = 0;
  virtual bool closed() const = 0;
  virtual std::size_t blocked_producers() const = 0;
  /// Thread: JS thread only (the linger counters are its own).
  virtual DispatchStats dispatch_stats() const noexcept = 0;
  /// A thread is about to push a call it will wait for (call_sync, send_sync and their _for
  /// forms): the JS thread lingers only after batches that such calls reached. Thread: any.
  virtual void note_round_trip() noexcept = 0;

 protected:
  ~ChannelCore() = default;  // owned through shared_ptr<Dispatcher<Item>>
};

/// One counted handle on a queue (`Core`: ChannelCore, or a typed callback's Dispatcher): what a
/// Channel or callback object is. Copies count as handles; the last one gone gives the queue's
/// tsfn back (see Dispatcher::drop_handle). Thread: any.
template <class Core = ChannelCore>
class CoreHandle {
 public:
  CoreHandle() noexcept = default;
  explicit CoreHandle(std::shared_ptr<Core> core) noexcept : core_(std::move(core)) {
    if (core_) core_->add_handle();
  }
  CoreHandle(const CoreHandle& other) noexcept : CoreHandle(other.core_) {}
  CoreHandle(CoreHandle&& other) noexcept = default;
  CoreHandle& operator=(const CoreHandle& other) noexcept {
    if (this != &other) *this = CoreHandle(other);
    return *this;
  }
  CoreHandle& operator=(CoreHandle&& other) noexcept {
    if (this != &other) {
      if (core_) core_->drop_handle();
      core_ = std::move(other.core_);
    }
    return *this;
  }
  ~CoreHandle() {
    if (core_) core_->drop_handle();
  }
  Core* get() const noexcept { return core_.get(); }
  Core* operator->() const noexcept { return core_.get(); }
  explicit operator bool() const noexcept { return core_ != nullptr; }
  const std::shared_ptr<Core>& shared() const noexcept { return core_; }

 private:
  std::shared_ptr<Core> core_;
};

/// Queues `job(const RunContext&)` on `core` (`block`: wait for room off the JS thread). A refused
/// job is destroyed here, inside a RefusalScope, so a future it carries learns why. Thread: any.
template <class J>
Status push_job_to(ChannelCore* core, J&& job, bool block) {
  if (core == nullptr) return Status::closing;
  ChannelJob item(std::forward<J>(job));
  Status s = core->push_job(item, block);  // the dispatcher turns a JS-thread block into a try
  destroy_refused(item, s);
  return s;
}

/// Queues `f(Napi::Env)`, user code, on `core`: Channel::send and napix's internal sends.
template <class F>
Status send_to(ChannelCore* core, F&& f, bool block) {
  static_assert(std::is_invocable_v<std::decay_t<F>&, Napi::Env>,
                "napix::Channel::send: the closure must be callable as f(Napi::Env)");
  return push_job_to(
      core,
      [fn = std::forward<F>(f)](const RunContext& cx) mutable {
        cx.check_js = true;  // user code: see Dispatcher::run_batch
        fn(Napi::Env(cx.env));
      },
      block);
}

/// Control block of a Channel or ThreadSafeCallback family. `Item` is a move-only callable
/// `void(const RunContext&)` whose destructor is its "destroyed unrun" path.
template <class Item>
class Dispatcher final : public ChannelCore, public std::enable_shared_from_this<Dispatcher<Item>> {
 public:
  /// Items run in one HandleScope.
  NAPIX_LOCAL static constexpr std::size_t kMaxBatch = 1024;
  /// How long one turn of the event loop keeps running batches before it yields to timers and
  /// I/O. Yielding costs a loop iteration (syscalls: tens of µs on a VM), so yielding after every
  /// batch cost 30-45% of throughput under a flood; 1 ms bounds the delay instead.
  NAPIX_LOCAL static constexpr std::chrono::microseconds kTurnBudget{1000};

  /// Creates the control block and its tsfn; its batches run through `trampoline` (the
  /// environment's). `name`: the async resource name; `max_queue`: 0 for unbounded; `keep_alive`
  /// false starts it unref'ed. On failure the queue starts closed (every call returns `closing`)
  /// and a JS exception describes why (thrown by the caller when it can). `self`/`fn` may be
  /// null. Thread: JS thread only.
  static std::shared_ptr<Dispatcher> create(napi_env env, std::shared_ptr<Trampoline> trampoline,
                                            napi_value self, napi_value fn, const std::string& name,
                                            std::size_t max_queue, bool keep_alive);

  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;
  ~Dispatcher() = default;

  /// Queues `item` (moved from only on `ok`). Never blocks on the JS thread: only that thread
  /// drains the queue, so waiting there for room would deadlock. Thread: any.
  Status push(Item& item, bool block) {
    return to_status(block && !on_js_thread() ? queue_.push(item) : queue_.try_push(item));
  }
  /// A Channel closure: queued as is, or boxed into the queue's item type (Item(ChannelJob&&)).
  Status push_job(ChannelJob& job, bool block) override {
    if constexpr (std::is_same_v<Item, ChannelJob>) {
      return push(job, block);
    } else {
      Item item(std::move(job));
      Status s = push(item, block);
      if (s != Status::ok) job = item.take_job();  // refused: the sender gets it back
      return s;
    }
  }

  /// A handle (Channel object) was made / destroyed. The last one gives the tsfn back, so the
  /// loop can exit once the queue is drained and the JS function can be collected. Thread: any.
  void add_handle() noexcept override { handles_.fetch_add(1, std::memory_order_relaxed); }
  void drop_handle() noexcept override {
    if (handles_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // With calls still queued the tsfn is given back once they drained (run_batch): given back
      // now, Node would close it after the next wakeup, and the queue could not yield any more.
      std::lock_guard<std::mutex> lock(tsfn_mutex_);
      handles_gone_ = true;
      if (queue_.size() == 0) release_locked(napi_tsfn_release);
    }
  }

  /// Stops accepting items and destroys the queued ones unrun (on this thread). Once it returns
  /// no item starts: called off the JS thread it waits for the batch the JS thread is running
  /// to stop (after the item running now; the batch's rest is destroyed unrun there); called on
  /// the JS thread (from inside an item) the batch stops after the current item. Thread: any.
  void abort() override;

  /// Thread: JS thread only.
  void ref() override;
  void unref() override;
  // (has_ref_ is JS-thread state; ref/unref take tsfn_mutex_ only to order against the finalizer)
  bool has_ref() const noexcept override { return has_ref_; }

  bool on_js_thread() const noexcept override { return std::this_thread::get_id() == js_thread_; }
  bool closed() const override { return queue_.closed(); }
  /// For tests: producers blocked on a full queue, and calls counted against max_queue.
  std::size_t blocked_producers() const override { return queue_.blocked_producers(); }
  DispatchStats dispatch_stats() const noexcept override {
    DispatchStats s = stats_;
    s.wakes = wakes_.load(std::memory_order_relaxed);
    return s;
  }
  std::size_t outstanding() const { return queue_.outstanding(); }
  napi_env env() const noexcept { return env_; }
  void note_round_trip() noexcept override { round_trips_.fetch_add(1, std::memory_order_relaxed); }

 private:
  Dispatcher(napi_env env, std::shared_ptr<Trampoline> trampoline, std::size_t max_queue);

  napi_status init(napi_value self, napi_value fn, const std::string& name, bool keep_alive);
  bool wake() noexcept;
  void release_tsfn(napi_threadsafe_function_release_mode mode) noexcept;
  void release_locked(napi_threadsafe_function_release_mode mode) noexcept;  // holds tsfn_mutex_
  void dispatch(napi_env env, bool via_yield);
  void run_batch(napi_env env);
  bool yield_turn(napi_env env);
  bool ensure_yield_tsfn(napi_env env) noexcept;
  bool run_one(napi_env env, Item& item, const RunContext& cx) noexcept;  // false: it raised
  bool linger(std::uint32_t seen) noexcept;  // true: items came (drain them)
  void drop_all() { std::vector<Item> rest = queue_.close(); }
  // Brackets the JS thread's work on one drained batch, for abort() (see there).
  void enter_batch() noexcept { running_.store(true, std::memory_order_seq_cst); }
  void leave_batch() noexcept;
  // Deletes the JS references and the async context. Thread: JS thread only.
  void free_js(napi_env env) noexcept;

  static void on_wake(napi_env env, napi_value js_cb, void* context, void* data);
  static void on_finalize(napi_env env, void* data, void* hint);
  static void on_yield(napi_env env, napi_value js_cb, void* context, void* data);
  static void on_yield_finalize(napi_env env, void* data, void* hint);

  BatchQueue<Item> queue_;
  std::atomic<std::size_t> handles_{0};

  // Guards the tsfn's lifetime for calls made outside the queue's lock (release, re-wake):
  // lock order is tsfn_mutex_ -> queue mutex -> Node's tsfn mutex, never the other way.
  std::mutex tsfn_mutex_;
  napi_threadsafe_function tsfn_ = nullptr;
  bool tsfn_alive_ = false;  // set once created; false after the finalizer
  bool released_ = false;    // our thread count was given back
  bool handles_gone_ = false;  // the last handle went: give the count back once drained
  std::atomic<bool> consumed_{false};  // a call returned napi_closing: the count is gone

  // abort() against the JS thread's batch loop, Dekker style: abort stores stopped_ then reads
  // running_; the loop stores running_ then reads stopped_ before every item. Either abort sees
  // the batch and waits for leave_batch(), or the loop sees stopped_ and starts nothing more.
  // Costs the loop one store per batch and one load per item (the bench did not move).
  std::atomic<bool> stopped_{false};
  std::atomic<bool> running_{false};
  std::atomic<int> abort_waiters_{0};
  std::mutex abort_mutex_;
  std::condition_variable batch_done_;

  // JS thread only.
  const napi_env env_;
  const std::thread::id js_thread_;
  const std::shared_ptr<Trampoline> trampoline_;
  napi_async_context async_context_ = nullptr;
  napi_ref self_ref_ = nullptr;
  napi_ref fn_ref_ = nullptr;
  std::vector<Item> batch_;
  // The linger after a batch: spins [limit/8, limit], learned from recent lingers (spin.h).
  SpinBudget linger_budget_{js_linger_limit() / 8, js_linger_limit()};
  DispatchStats stats_;  // the linger counters (wakes_ is separate: producers count it)
  std::atomic<std::uint64_t> wakes_{0};
  // Bumped by threads before they push a call they wait for; the JS thread lingers only when it
  // moved since the last drain — a flood of fire-and-forget calls keeps its big batches.
  std::atomic<std::uint32_t> round_trips_{0};
  std::uint32_t round_trips_seen_ = 0;  // JS thread only
  bool has_ref_ = true;
  bool via_yield_ = false;  // the current dispatch came through yield_tsfn_
  // A second tsfn, made on the first flood, that the queue yields through: Node re-dispatches a
  // tsfn called from inside its own callback in the same loop turn (up to 999 times), so
  // re-waking tsfn_ from run_batch would starve timers and I/O. Alternating between the two, each
  // runs once per loop turn, for at most kTurnBudget. Owns a reference to this block until its
  // finalizer.
  napi_threadsafe_function yield_tsfn_ = nullptr;
  bool yield_alive_ = false;
};

// ---------------------------------------------------------------------------------------------
// Definitions

template <class Item>
Dispatcher<Item>::Dispatcher(napi_env env, std::shared_ptr<Trampoline> trampoline,
                             std::size_t max_queue)
    : queue_(max_queue, [this]() noexcept { return wake(); }),
      env_(env),
      js_thread_(std::this_thread::get_id()),
      trampoline_(std::move(trampoline)) {}

template <class Item>
std::shared_ptr<Dispatcher<Item>> Dispatcher<Item>::create(napi_env env,
                                                           std::shared_ptr<Trampoline> trampoline,
                                                           napi_value self, napi_value fn,
                                                           const std::string& name,
                                                           std::size_t max_queue, bool keep_alive) {
  pin_module();
  std::shared_ptr<Dispatcher> d(new Dispatcher(env, std::move(trampoline), max_queue));
  if (d->init(self, fn, name, keep_alive) != napi_ok) d->drop_all();
  return d;
}

template <class Item>
napi_status Dispatcher<Item>::init(napi_value self, napi_value fn, const std::string& resource,
                                   bool keep_alive) {
  napi_env env = env_;
  napi_value name;
  napi_status s = napi_create_string_utf8(env, resource.data(), resource.size(), &name);
  if (s == napi_ok) s = napi_async_init(env, nullptr, name, &async_context_);
  if (s == napi_ok && self != nullptr) s = napi_create_reference(env, self, 1, &self_ref_);
  if (s == napi_ok && fn != nullptr) s = napi_create_reference(env, fn, 1, &fn_ref_);
  if (s != napi_ok) {
    free_js(env);  // no finalizer will: the async context would leak (ASan, test/stress.test.js)
    return s;
  }

  // The tsfn owns one reference to this block until its finalizer; the handles own the others.
  auto* owner = new std::shared_ptr<Dispatcher>(this->shared_from_this());
  s = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, owner, on_finalize, this,
                                      on_wake, &tsfn_);
  if (s != napi_ok) {
    delete owner;
    free_js(env);
    return s;
  }
  tsfn_alive_ = true;
  if (!keep_alive) unref();
  return napi_ok;
}

template <class Item>
bool Dispatcher<Item>::wake() noexcept {
  // Runs under the queue's lock, which the finalizer also takes before the tsfn goes away.
  napi_status s = napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking);
  if (s == napi_closing) consumed_.store(true, std::memory_order_relaxed);
  wakes_.fetch_add(1, std::memory_order_relaxed);
  return s == napi_ok;
}

template <class Item>
void Dispatcher<Item>::release_tsfn(napi_threadsafe_function_release_mode mode) noexcept {
  std::lock_guard<std::mutex> lock(tsfn_mutex_);
  release_locked(mode);
}

template <class Item>
void Dispatcher<Item>::release_locked(napi_threadsafe_function_release_mode mode) noexcept {
  if (!tsfn_alive_ || released_) return;
  released_ = true;
  if (!consumed_.load(std::memory_order_relaxed)) napi_release_threadsafe_function(tsfn_, mode);
}

template <class Item>
void Dispatcher<Item>::abort() {
  stopped_.store(true, std::memory_order_seq_cst);
  std::vector<Item> rest = queue_.close();
  rest.clear();
  release_tsfn(napi_tsfn_abort);
  if (on_js_thread()) return;  // from inside an item: run_batch stops after it
  // Wait out a batch in progress: an item may be running, and drained items may be about to start.
  abort_waiters_.fetch_add(1, std::memory_order_seq_cst);
  {
    std::unique_lock<std::mutex> lock(abort_mutex_);
    batch_done_.wait(lock, [this] { return !running_.load(std::memory_order_seq_cst); });
  }
  abort_waiters_.fetch_sub(1, std::memory_order_relaxed);
}

template <class Item>
void Dispatcher<Item>::leave_batch() noexcept {
  running_.store(false, std::memory_order_seq_cst);
  if (abort_waiters_.load(std::memory_order_seq_cst) != 0) {
    std::lock_guard<std::mutex> lock(abort_mutex_);  // orders the notify after the waiter's check
    batch_done_.notify_all();
  }
}

template <class Item>
void Dispatcher<Item>::ref() {
  if (!on_js_thread()) misuse("napix: ref() called off the JavaScript thread of its Channel or callback");
  std::lock_guard<std::mutex> lock(tsfn_mutex_);
  if (tsfn_alive_) napi_ref_threadsafe_function(env_, tsfn_);
  has_ref_ = true;
}

template <class Item>
void Dispatcher<Item>::unref() {
  if (!on_js_thread()) misuse("napix: unref() called off the JavaScript thread of its Channel or callback");
  std::lock_guard<std::mutex> lock(tsfn_mutex_);
  if (tsfn_alive_) napi_unref_threadsafe_function(env_, tsfn_);
  has_ref_ = false;
}

template <class Item>
void Dispatcher<Item>::on_wake(napi_env env, napi_value, void* context, void*) {
  // A null env: Node is emptying the tsfn's own queue at teardown; our items are the
  // finalizer's business.
  if (env == nullptr) return;
  static_cast<Dispatcher*>(context)->dispatch(env, false);
}

template <class Item>
void Dispatcher<Item>::on_yield(napi_env env, napi_value, void*, void* data) {
  // Each pending yield owns a reference: at teardown Node calls this (with a null env) after the
  // yield tsfn's finalizer, which may have dropped the last other one.
  std::unique_ptr<std::shared_ptr<Dispatcher>> keep(static_cast<std::shared_ptr<Dispatcher>*>(data));
  Dispatcher* self = keep->get();
  // (tsfn_alive_ is false once tsfn_'s finalizer ran: abort() while this yield was pending)
  if (env != nullptr && self->tsfn_alive_) self->dispatch(env, true);
  // Give back the count yield_turn took on tsfn_ (it kept tsfn_ from finalizing, and so from
  // destroying the queued items, while the queue waited for this turn).
  std::lock_guard<std::mutex> lock(self->tsfn_mutex_);
  if (self->tsfn_alive_ && !self->consumed_.load(std::memory_order_relaxed)) {
    napi_release_threadsafe_function(self->tsfn_, napi_tsfn_release);
  }
}

template <class Item>
void Dispatcher<Item>::on_yield_finalize(napi_env, void* data, void*) {
  std::unique_ptr<std::shared_ptr<Dispatcher>> owner(static_cast<std::shared_ptr<Dispatcher>*>(data));
  (*owner)->yield_alive_ = false;
}

template <class Item>
void Dispatcher<Item>::dispatch(napi_env env, bool via_yield) {
  if (!can_run_js(env)) {  // teardown began: destroy everything unrun, start no user code
    drop_all();
    return;
  }
  via_yield_ = via_yield;
  if (!trampoline_->run(env, async_context_, [this, env] { run_batch(env); })) {
    // V8 refused to enter the trampoline: the isolate is terminating (worker.terminate() or
    // process.exit() just began) although Node-API does not say so yet. No wakeup would come
    // for the items left queued — and a task polling cancelled() would hold teardown forever —
    // so treat it as teardown now.
    drop_all();
  }
}

template <class Item>
void Dispatcher<Item>::run_batch(napi_env env) {
  RunContext cx{env, nullptr, nullptr};
  const auto turn_start = std::chrono::steady_clock::now();
  for (;;) {
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    if (self_ref_ != nullptr) napi_get_reference_value(env, self_ref_, &cx.self);
    if (fn_ref_ != nullptr) napi_get_reference_value(env, fn_ref_, &cx.fn);
    if (cx.self == nullptr) napi_get_undefined(env, &cx.self);
    if (cx.fn == nullptr) napi_get_undefined(env, &cx.fn);
    enter_batch();
    // Stay awake (pushes meanwhile do not wake) when this batch may end in a linger: it must
    // then end in linger(), or in a closed queue.
    const std::uint32_t trips = round_trips_.load(std::memory_order_relaxed);
    const bool may_linger = js_linger_limit().count() > 0 && trips != round_trips_seen_;
    round_trips_seen_ = trips;
    const bool awake = may_linger && linger_budget_.skipping() == 0 &&
                       handles_.load(std::memory_order_relaxed) != 0;
    DrainResult r = queue_.drain(batch_, kMaxBatch, awake);
    const std::uint32_t seen = queue_.events();
    // A callback that calls process.exit() in a Worker (or is cut short by terminate()) must be
    // the last user code that starts. can_run_js costs a v8::TryCatch (~150 instructions, 10%
    // of an item), so it is asked after items that ran user code — whose failure may leave no
    // trace: node-addon-api's exceptions-off mode swallows the termination — or raised, or
    // whose own call into JS failed (napix's typed and argument calls see the status).
    // No item starts after abort(), wherever it was called (see abort).
    bool stopped = false, aborted = false;
    for (Item& item : batch_) {
      if (stopped_.load(std::memory_order_seq_cst)) {
        aborted = true;
        break;
      }
      cx.check_js = false;
      if ((!run_one(env, item, cx) || cx.check_js) && !can_run_js(env)) {
        stopped = true;
        break;
      }
    }
    batch_.clear();  // the rest of a stopped batch is destroyed unrun
    queue_.release(r.taken);
    leave_batch();
    napi_close_handle_scope(env, scope);
    if (stopped) {
      drop_all();
      return;
    }
    if (aborted) return;  // abort() emptied the queue and gave the tsfn back
    // Lingering, the items a producer sends right after this batch (the next call after an
    // answer) run in this turn without a wakeup: one thread wakeup less per round trip.
    if (!r.more && awake) {
      r.more = linger(seen);
    } else if (!r.more && may_linger) {
      linger_budget_.next();  // one wait of the back-off used up (SpinBudget counts them)
      ++stats_.linger_skipped;
    }
    if (!r.more) {
      std::lock_guard<std::mutex> lock(tsfn_mutex_);
      if (handles_gone_) release_locked(napi_tsfn_release);  // drained: see drop_handle
      return;
    }
    // More than one batch: go on while this turn has time left, then yield to the event loop
    // and come back through a wakeup — unless no wakeup would come (finish here then).
    if (std::chrono::steady_clock::now() - turn_start < kTurnBudget) continue;
    if (yield_turn(env)) return;
    if (!can_run_js(env)) {
      drop_all();
      return;
    }
  }
}

template <class Item>
bool Dispatcher<Item>::yield_turn(napi_env env) {
  // From tsfn_'s callback yield through yield_tsfn_ and back: each runs once per loop turn.
  bool through_yield = !via_yield_ && ensure_yield_tsfn(env);
  std::lock_guard<std::mutex> lock(tsfn_mutex_);
  if (!tsfn_alive_ || released_) return false;
  if (!through_yield) {
    napi_status s = napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking);
    if (s == napi_closing) consumed_.store(true, std::memory_order_relaxed);
    return s == napi_ok;
  }
  // The count keeps tsfn_ (and the queue) alive if the last handle goes before on_yield runs.
  auto* keep = new (std::nothrow) std::shared_ptr<Dispatcher>(this->shared_from_this());
  if (keep == nullptr) return false;
  if (napi_acquire_threadsafe_function(tsfn_) == napi_ok) {
    if (napi_call_threadsafe_function(yield_tsfn_, keep, napi_tsfn_nonblocking) == napi_ok) return true;
    napi_release_threadsafe_function(tsfn_, napi_tsfn_release);
  }
  delete keep;
  return false;
}

template <class Item>
bool Dispatcher<Item>::ensure_yield_tsfn(napi_env env) noexcept {
  if (yield_tsfn_ != nullptr) return yield_alive_;
  napi_value name = nullptr;
  if (napi_create_string_utf8(env, "napixYield", NAPI_AUTO_LENGTH, &name) != napi_ok) return false;
  auto* owner = new (std::nothrow) std::shared_ptr<Dispatcher>(this->shared_from_this());
  if (owner == nullptr) return false;
  if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, owner, on_yield_finalize,
                                      nullptr, on_yield, &yield_tsfn_) != napi_ok) {
    delete owner;
    yield_tsfn_ = nullptr;
    return false;
  }
  yield_alive_ = true;
  // Never keeps the loop alive by itself: tsfn_ (ref'd or not, as the user chose) decides.
  napi_unref_threadsafe_function(env, yield_tsfn_);
  return true;
}

template <class Item>
bool Dispatcher<Item>::linger(std::uint32_t seen) noexcept {
  const std::chrono::nanoseconds spin = linger_budget_.next();  // > 0: it was not skipping
  if (spin.count() > 0) {
    const auto start = std::chrono::steady_clock::now();
    for (unsigned i = 1;; ++i) {
      if (queue_.events() != seen) {  // a push (or close)
        linger_budget_.record(true, std::chrono::steady_clock::now() - start);
        ++stats_.linger_hits;
        break;
      }
      if (handles_.load(std::memory_order_relaxed) == 0) break;  // nobody left to push
      if (i % 16 == 0 && std::chrono::steady_clock::now() - start >= spin) {
        linger_budget_.record(false, spin);
        ++stats_.linger_misses;
        break;
      }
      cpu_relax();
    }
  }
  return !queue_.sleep_if_empty();
}

template <class Item>
bool Dispatcher<Item>::run_one(napi_env env, Item& item, const RunContext& cx) noexcept {
  return run_reporting_uncaught(env, [&] { item(cx); });
}

template <class Item>
void Dispatcher<Item>::on_finalize(napi_env env, void* data, void*) {
  std::unique_ptr<std::shared_ptr<Dispatcher>> owner(static_cast<std::shared_ptr<Dispatcher>*>(data));
  Dispatcher& d = **owner;
  std::vector<Item> rest;
  {
    std::lock_guard<std::mutex> lock(d.tsfn_mutex_);
    d.tsfn_alive_ = false;
    rest = d.queue_.close();  // wakes every blocked producer with `closing`
  }
  rest.clear();  // destroyed unrun, outside every lock
  d.batch_.clear();
  d.free_js(env);
  // Let the yield tsfn go too: its finalizer drops the last reference to this block.
  if (d.yield_alive_) napi_release_threadsafe_function(d.yield_tsfn_, napi_tsfn_release);
}

template <class Item>
void Dispatcher<Item>::free_js(napi_env env) noexcept {
  for (napi_ref* ref : {&self_ref_, &fn_ref_}) {
    if (*ref != nullptr) napi_delete_reference(env, *ref);
    *ref = nullptr;
  }
  if (async_context_ != nullptr) napi_async_destroy(env, async_context_);
  async_context_ = nullptr;
}

}  // namespace detail
}  // namespace napix
