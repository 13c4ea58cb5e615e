// napix/detail/task_pool.h — the per-environment task queue behind napix::task(): napix's own queue
// of pending tasks plus at most K napi_async_work "runners" that pull from it on the libuv pool.
//
// Why (doc/design.md, behaviour 8): a Worker's teardown waits for every queued napi_async_work,
// before env cleanup hooks run. With one async work per task, 1,000 queued 20 ms tasks delay
// worker.terminate() by 5 s. Here only K runners are ever queued; the rest wait in napix's queue,
// which is dropped as soon as a runner comes back to a JS thread that can no longer run JS.
//
// A runner pulls tasks until the queue is empty or it has run for one time slice (kSlice), then
// returns to the JS thread; its `complete` either starts the next runner (JS can run) or marks the
// pool closing and drops the queue (teardown began). So teardown waits for at most the tasks that
// are running, plus one slice.
//
// A runner that empties the queue lingers (kLinger) for the next task before it returns, so tasks
// awaited one by one reuse it: no napi_async_work per task. It spins first only while recent
// lingers saw their task within the spin (SpinBudget), then blocks on a futex that `submit` wakes:
// on a busy machine a spinning runner would hold the core the JS thread needs to submit that task.
//
// Completions (a thread wakeup per task is what limits raw napi_async_work: doc/design.md, "What
// the design costs and buys") come back one of two ways, each exactly once per job that left the
// queue: through the environment's internal Channel, one wakeup per batch (always for jobs with
// progress: their completion must follow their progress values); or, when lingering is off, a
// runner that found the queue empty keeps its last job and completes it in its own `complete`. Each job then runs inside
// its own async context (see `in_context`), so the caller's AsyncLocalStorage is seen.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "../config.h"
#include "dispatcher.h"
#include "js_thread.h"
#include "ring_queue.h"
#include "spin.h"
#include "trampoline.h"
#include "unique_function.h"
#include "visibility.h"

namespace napix {
namespace detail {

/// One queued unit of work. `run()` is called at most once, on a pool thread; then
/// `complete_js()` exactly once, on the JS thread — unless teardown drops it first. A unit
/// destroyed without running is "dropped". Thread: made on the JS thread, run anywhere; napix
/// makes sure the last reference goes on the JS thread while the environment lives.
class PoolJob {
 public:
  virtual ~PoolJob() = default;
  /// Runs the job on a pool thread (a job cancelled before it started does nothing).
  virtual void run() = 0;
  /// Whether the completion must come through the pool's Channel (after values sent there).
  virtual bool ordered() const noexcept = 0;
  /// Delivers the result. Thread: JS thread only.
  virtual void complete_js(napi_env env) = 0;
};

class TaskPool : public std::enable_shared_from_this<TaskPool> {
 public:
  /// How long a runner keeps pulling tasks before it returns to the JS thread (bounds how long
  /// teardown waits beyond the running tasks themselves).
  NAPIX_LOCAL static constexpr std::chrono::milliseconds kSlice{2};
  /// Queue slots kept once a burst has drained (16 KiB); a longer backlog's are freed by the next
  /// submit that finds the queue empty.
  NAPIX_LOCAL static constexpr std::size_t kQueueKeep = 1024;
  /// How long a runner that emptied the queue waits for the next task before it returns:
  /// `await`ing tasks one by one then reuses it — no napi_async_work per task — which cuts the
  /// round trip. It spins for at most kLingerSpin of that (as SpinBudget allows) and blocks for
  /// the rest. NAPIX_TASK_LINGER_US overrides (0: never linger; tests set it high to make reuse
  /// certain).
  NAPIX_LOCAL static constexpr std::chrono::microseconds kLinger{50};
  NAPIX_LOCAL static constexpr std::chrono::microseconds kLingerSpin{50};
  /// At most one teardown probe per interval per environment (see `probe`).
  NAPIX_LOCAL static constexpr std::chrono::milliseconds kProbeInterval{20};

  /// Queues `job`; false when the environment is closing (the job is left to the caller).
  /// Counts it live (see `done_js`). Thread: JS thread only.
  bool submit(std::shared_ptr<PoolJob>& job);

  /// A live job's `complete_js` ran: the internal Channel keeps the event loop alive only while
  /// some job is live, the way a pending napi_async_work does. Thread: JS thread only.
  void done_js() {
    if (--live_ == 0 && channel_) channel_->unref();
  }

  /// Sends `f(Napi::Env)` to the JS thread through the environment's internal Channel (FIFO with
  /// every other delivery). Returns as `Channel::send`. Thread: any.
  template <class F>
  Status deliver(F&& f) {
    return send_to(channel_.get(), std::forward<F>(f), true);
  }

  /// Runs `f()` inside `context` through the environment's Trampoline (see there: exceptions
  /// become `uncaughtException`; a null context runs `f` as is). Thread: JS thread only.
  template <class F>
  void in_context(napi_env env, napi_async_context context, F&& f) {
    trampoline_->run(env, context, std::forward<F>(f));
  }

  /// Closes the pool at the environment's teardown (its cleanup hook): drops the queue and
  /// releases the jobs whose completion could not be delivered. Thread: JS thread only.
  void close();

  bool on_js_thread() const noexcept { return std::this_thread::get_id() == js_thread_; }
  napi_env env() const noexcept { return env_; }

  /// True once teardown was seen (a runner came back to a JS thread that cannot run JS, or the
  /// env cleanup hook ran). Thread: any.
  bool closing() const noexcept { return closing_.load(std::memory_order_acquire); }

  /// Asks the JS thread, at most once per kProbeInterval, whether it can still run JS; when not
  /// (teardown began), `closing()` becomes true. Called by `TaskContext::cancelled()`, so a task
  /// looping on it learns of a Worker's termination even while every runner is busy — runners'
  /// `complete` alone would come too late, and an env cleanup hook later still. The probe is a
  /// closure sent through an unref'ed Channel: Node still dispatches it during teardown, napix's
  /// dispatcher then destroys it unrun, and its destructor sets the flag. Thread: any.
  void probe() noexcept;

  /// For tests: tasks waiting in napix's queue, and runners (napi_async_work) alive.
  std::size_t queued() {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size();
  }
  int runners() {
    std::lock_guard<std::mutex> lock(mutex_);
    return runners_;
  }
  /// For tests: napi_async_work runners started so far.
  std::uint64_t runners_started() const { return runners_started_.load(std::memory_order_relaxed); }
  /// For tests: how lingers went (see WaitCounters; `sleeps` counts lingers that blocked).
  WaitCounters linger_counters() {
    std::lock_guard<std::mutex> lock(mutex_);
    return linger_counters_;
  }

  /// The pool of `env` (made by its EnvEntry): completions go back through `channel`, the
  /// environment's internal Channel; they run through `trampoline`. Thread: JS thread only.
  TaskPool(napi_env env, std::shared_ptr<Trampoline> trampoline, CoreHandle<> channel)
      : env_(env),
        js_thread_(std::this_thread::get_id()),
        max_runners_(runner_limit()),
        linger_(linger_limit()),
        linger_budget_(std::chrono::microseconds(5),
                       std::min<std::chrono::nanoseconds>(linger_, kLingerSpin)),
        trampoline_(std::move(trampoline)),
        channel_(std::move(channel)) {
    napi_value name = nullptr;  // the runners' async resource name, made once
    if (napi_create_string_latin1(env, "napix:task", NAPI_AUTO_LENGTH, &name) == napi_ok) {
      napi_create_reference(env, name, 1, &name_);
    }
  }

 private:
  struct Runner {
    std::shared_ptr<TaskPool> pool;
    napi_async_work work = nullptr;
    std::vector<std::shared_ptr<PoolJob>> done;  // completed in this runner's `complete`
  };

  static int runner_limit() {
    // The libuv pool's size: more runners than threads would only queue behind each other.
    const char* v = std::getenv("UV_THREADPOOL_SIZE");
    int n = v != nullptr ? std::atoi(v) : 0;
    if (n <= 0) n = 4;
    return n > 1024 ? 1024 : n;
  }

  static std::chrono::microseconds linger_limit() {
    return env_microseconds("NAPIX_TASK_LINGER_US", kLinger, std::chrono::seconds(10));
  }

  // A completion on its way through the Channel. Destroyed unrun: on the JS thread (teardown)
  // the job goes at once; on a pool thread (the Channel refused it) it becomes an orphan that
  // the cleanup hook releases on the JS thread.
  struct Delivery {
    TaskPool* pool;  // alive while `job` is: a task holds its pool
    std::shared_ptr<PoolJob> job;
    Delivery(TaskPool* p, std::shared_ptr<PoolJob> j) noexcept : pool(p), job(std::move(j)) {}
    Delivery(Delivery&& o) noexcept = default;
    Delivery& operator=(Delivery&&) = delete;
    ~Delivery() {
      if (!job || pool->on_js_thread()) return;
      std::lock_guard<std::mutex> lock(pool->mutex_);
      pool->orphans_.push_back(std::move(job));
    }
  };

  struct Probe {
    std::weak_ptr<TaskPool> pool;
    explicit Probe(std::weak_ptr<TaskPool> p) noexcept : pool(std::move(p)) {}
    Probe(Probe&& o) noexcept : pool(std::move(o.pool)) {}
    Probe& operator=(Probe&&) = delete;
    ~Probe() {  // destroyed unrun: JS can no longer run there (or the environment is gone)
      if (std::shared_ptr<TaskPool> p = pool.lock()) {
        p->closing_.store(true, std::memory_order_release);
        p->probe_pending_.store(false, std::memory_order_release);
      }
    }
    void ran() noexcept {
      if (std::shared_ptr<TaskPool> p = pool.lock()) p->probe_pending_.store(false, std::memory_order_release);
      pool.reset();
    }
  };

  void start_runner();  // the caller already counted it in runners_
  void close_and_drop();
  void finished(Runner& runner, std::shared_ptr<PoolJob>& job, bool last);
  // The next job, or null once linger_ passed; the caller counted itself in lingering_, read
  // submitted_ as `seen` and took `spin` from linger_budget_, all under the lock.
  std::shared_ptr<PoolJob> linger(std::uint32_t seen, std::chrono::nanoseconds spin);
  // The queue's first job, removed; null when it is empty or the pool is closing. Holds mutex_.
  std::shared_ptr<PoolJob> take_locked() {
    if (closing() || queue_.empty()) return nullptr;
    std::shared_ptr<PoolJob> job = std::move(queue_.front());
    queue_.pop_front();
    return job;
  }
  static void on_execute(napi_env env, void* data);
  static void on_complete(napi_env env, napi_status status, void* data);

  const napi_env env_;
  const std::thread::id js_thread_;
  const int max_runners_;
  const std::chrono::microseconds linger_;
  std::atomic<bool> closing_{false};
  std::atomic<bool> probe_pending_{false};
  std::atomic<std::int64_t> last_probe_{0};
  std::mutex mutex_;
  RingQueue<std::shared_ptr<PoolJob>> queue_;  // pushed on the JS thread only
  int runners_ = 0;  // napi_async_work items created and not yet completed
  int lingering_ = 0;  // runners waiting in linger() for a task
  SpinBudget linger_budget_;        // under mutex_
  WaitCounters linger_counters_{};  // under mutex_
  // Bumped per queued task (and at close): the word lingerers watch and block on.
  std::atomic<std::uint32_t> submitted_{0};
  std::atomic<int> sleepers_{0};  // lingerers blocked (or about to block) on submitted_
  std::atomic<std::uint64_t> runners_started_{0};
  // Jobs whose completion could not be delivered (the Channel closed at teardown): released
  // on the JS thread by the cleanup hook, since their closures may hold JS references.
  std::vector<std::shared_ptr<PoolJob>> orphans_;

  const std::shared_ptr<Trampoline> trampoline_;
  // The environment's internal Channel (unref'ed while no job is live): completions, progress
  // and teardown probes.
  const CoreHandle<> channel_;

  // JS thread only.
  int live_ = 0;  // submitted jobs whose complete_js has not run
  napi_ref name_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// Definitions

inline void TaskPool::close() {
  close_and_drop();
  // Every runner has completed (teardown waits for async work before cleanup hooks): nothing
  // adds orphans any more.
  std::vector<std::shared_ptr<PoolJob>> orphans;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    orphans.swap(orphans_);
  }
  orphans.clear();
  if (name_ != nullptr) napi_delete_reference(env_, name_);
  name_ = nullptr;
}

inline void TaskPool::probe() noexcept {
  if (!channel_ || closing()) return;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  const std::int64_t interval = std::chrono::nanoseconds(kProbeInterval).count();
  if (now - last_probe_.load(std::memory_order_relaxed) < interval) return;
  if (probe_pending_.exchange(true, std::memory_order_acq_rel)) return;
  last_probe_.store(now, std::memory_order_relaxed);
  NAPIX_TRY {
    send_to(channel_.get(), [probe = Probe(weak_from_this())](Napi::Env) mutable { probe.ran(); }, false);
  }
  NAPIX_CATCH(...) { probe_pending_.store(false, std::memory_order_release); }  // bad_alloc
}

inline bool TaskPool::submit(std::shared_ptr<PoolJob>& job) {
  bool spawn = false;
  // A drained burst's slots, freed after the lock is released, on the thread that allocated them.
  RingQueue<std::shared_ptr<PoolJob>> drained;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closing()) return false;
    if (queue_.empty() && queue_.capacity() > kQueueKeep) drained.swap(queue_);
    queue_.push_back(std::move(job));
    // A lingering runner takes one queued task; more than they can take need new runners.
    if (queue_.size() > static_cast<std::size_t>(lingering_) && runners_ < max_runners_) {
      ++runners_;
      spawn = true;
    }
  }
  // Bump, then look for sleepers; a lingerer counts itself, then blocks only while submitted_ is
  // unchanged. Both sequentially consistent: either we see it and wake it, or it sees the bump.
  submitted_.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) Park::wake_one(submitted_);
  if (live_++ == 0 && channel_) channel_->ref();
  if (spawn) start_runner();
  return true;
}

inline void TaskPool::start_runner() {
  runners_started_.fetch_add(1, std::memory_order_relaxed);
  auto* runner = new Runner{shared_from_this(), nullptr, {}};
  napi_value name = nullptr;
  napi_status s = name_ != nullptr ? napi_get_reference_value(env_, name_, &name) : napi_generic_failure;
  if (s != napi_ok || name == nullptr) s = napi_create_string_latin1(env_, "napix:task", NAPI_AUTO_LENGTH, &name);
  if (s == napi_ok) {
    s = napi_create_async_work(env_, nullptr, name, on_execute, on_complete, runner, &runner->work);
  }
  if (s == napi_ok) s = napi_queue_async_work(env_, runner->work);
  if (s == napi_ok) return;
  // Node-API refuses: the environment is going. Nothing will run the queue.
  if (runner->work != nullptr) napi_delete_async_work(env_, runner->work);
  delete runner;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --runners_;
  }
  close_and_drop();
}

inline void TaskPool::close_and_drop() {
  RingQueue<std::shared_ptr<PoolJob>> rest;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_.store(true, std::memory_order_release);
    rest.swap(queue_);
  }
  submitted_.fetch_add(1, std::memory_order_seq_cst);  // lingerers stop waiting
  if (sleepers_.load(std::memory_order_seq_cst) > 0) Park::wake_all(submitted_);
  rest.clear();  // destroyed unrun, outside the lock
}

inline void TaskPool::on_execute(napi_env, void* data) {
  Runner& runner = *static_cast<Runner*>(data);
  TaskPool& pool = *runner.pool;
  const auto start = std::chrono::steady_clock::now();
  std::shared_ptr<PoolJob> job;
  {
    std::lock_guard<std::mutex> lock(pool.mutex_);
    job = pool.take_locked();
  }
  if (!job) return;
  for (;;) {
    job->run();
    // The next job is taken under the same lock that tells whether this one is the last.
    std::shared_ptr<PoolJob> next;
    bool linger = false;  // the queue is empty: wait for the next task, whatever the slice
    std::uint32_t seen = 0;
    std::chrono::nanoseconds spin{0};
    {
      const bool slice_left = std::chrono::steady_clock::now() - start < kSlice;
      std::lock_guard<std::mutex> lock(pool.mutex_);
      if (!pool.closing()) {
        if (pool.queue_.empty()) {
          // Counted before the completion below goes out: the task it lets JS start must find
          // this runner waiting, not start another.
          linger = pool.linger_.count() > 0;
          if (linger) {
            ++pool.lingering_;
            spin = pool.linger_budget_.next();
          }
          seen = pool.submitted_.load(std::memory_order_relaxed);
        } else if (slice_left) {
          next = pool.take_locked();
        }
      }
    }
    if (linger) {
      // Deliver this completion now (the JS thread may be waiting for it to start the next
      // task), then wait a little for that next task instead of returning. Teardown is not held
      // up: a JS thread that cannot run submits nothing, so the wait ends within linger_.
      pool.finished(runner, job, false);
      next = pool.linger(seen, spin);
      if (!next) return;
      job = std::move(next);
      continue;
    }
    const bool last = !next;  // about to return to the JS thread
    pool.finished(runner, job, last);
    if (last) return;
    job = std::move(next);
  }
}

inline std::shared_ptr<PoolJob> TaskPool::linger(std::uint32_t seen,
                                                 std::chrono::nanoseconds spin) {
  const auto start = std::chrono::steady_clock::now();
  const auto until = start + linger_;
  // close_and_drop bumps submitted_ too (and wakes sleepers), so teardown ends the wait.
  auto arrived = [&] { return submitted_.load(std::memory_order_acquire) != seen || closing(); };
  bool hit = false;
  if (spin.count() > 0) {
    // Pause, never sched_yield: on a busy core a yield can give the core away for a whole time
    // slice. The budget keeps the spin to what recent lingers needed.
    const auto end = start + std::min<std::chrono::nanoseconds>(spin, linger_);
    for (unsigned i = 1; !(hit = arrived()); ++i) {
      cpu_relax();
      if (i % 8 == 0 && std::chrono::steady_clock::now() >= end) {
        hit = arrived();
        break;
      }
    }
  }
  const auto spun = std::chrono::steady_clock::now() - start;
  bool slept = false;
  if (!hit) {
    // Blocked, the runner still saves the next task a napi_async_work; `submit` wakes it.
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    while (!arrived() && std::chrono::steady_clock::now() < until) {
      slept = true;
      Park::wait(submitted_, seen, &until);
    }
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  --lingering_;
  if (spin.count() > 0) {
    linger_budget_.record(hit, spun);
    ++(hit ? linger_counters_.spins_hit : linger_counters_.spins_missed);
  } else {
    ++linger_counters_.blocked_at_once;
  }
  if (slept) ++linger_counters_.sleeps;
  return take_locked();
}

// `job` ran (or was skipped). A runner about to return (`last`) completes it itself; otherwise
// it goes through the Channel now, so a long task next on this runner does not hold it back.
inline void TaskPool::finished(Runner& runner, std::shared_ptr<PoolJob>& job, bool last) {
  if (last && !job->ordered()) {
    runner.done.push_back(std::move(job));
    return;
  }
  // The job's last reference must go on the JS thread (its async context and JS references are
  // freed there). No copy stays here: the JS thread may run or drop the delivery before this
  // thread would let go of a copy (LeakSanitizer caught the async context of one such task).
  deliver([d = Delivery{this, std::move(job)}](Napi::Env env) mutable {
    std::shared_ptr<PoolJob> j = std::move(d.job);
    j->complete_js(env);
  });
}

inline void TaskPool::on_complete(napi_env env, napi_status, void* data) {
  std::unique_ptr<Runner> runner(static_cast<Runner*>(data));
  napi_delete_async_work(env, runner->work);
  TaskPool& pool = *runner->pool;
  // During a Worker's teardown Node still runs `complete` (status napi_ok) but JS cannot run:
  // that is the earliest moment napix learns of it. Drop the queue so teardown is not delayed.
  if (!can_run_js(env)) {
    {
      std::lock_guard<std::mutex> lock(pool.mutex_);
      --pool.runners_;
    }
    pool.close_and_drop();
    runner->done.clear();  // released here, on the JS thread
    return;
  }
  // The next runner first, so the pool keeps working while these completions run JS.
  bool spawn = false;
  {
    std::lock_guard<std::mutex> lock(pool.mutex_);
    if (!pool.closing() && !pool.queue_.empty()) {
      spawn = true;  // this runner's count passes on to the next one
    } else {
      --pool.runners_;
    }
  }
  if (spawn) pool.start_runner();
  for (std::shared_ptr<PoolJob>& job : runner->done) job->complete_js(env);
}

}  // namespace detail
}  // namespace napix
