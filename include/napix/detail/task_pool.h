// napix/detail/task_pool.h — the per-environment task queue behind napix::task(): napix's own queue
// of pending tasks plus at most K napi_async_work "runners" that pull from it on the libuv pool.
//
// Why (FINDINGS.md): a Worker's teardown waits for every queued napi_async_work, before env cleanup
// hooks run. With one async work per task, 1,000 queued 20 ms tasks delay worker.terminate() by
// 5 s. Here only K runners are ever queued; the rest wait in napix's queue, which is dropped as
// soon as a runner comes back to a JS thread that can no longer run JS.
//
// A runner pulls tasks until the queue is empty or it has run for one time slice (kSlice), then
// returns to the JS thread; its `complete` either starts the next runner (JS can run) or marks the
// pool closing and drops the queue (teardown began). So teardown waits for at most the tasks that
// are running, plus one slice.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../config.h"
#include "../channel.h"
#include "dispatcher.h"
#include "unique_function.h"

namespace napix {
namespace detail {

/// One queued unit of work. `run()` is called at most once, on a pool thread; a unit destroyed
/// without running is "dropped". Thread: made on the JS thread, run and destroyed anywhere.
class PoolJob {
 public:
  virtual ~PoolJob() = default;
  /// Runs the job on a pool thread (a job cancelled before it started does nothing).
  virtual void run() = 0;
};

class TaskPool : public std::enable_shared_from_this<TaskPool> {
 public:
  /// How long a runner keeps pulling tasks before it returns to the JS thread (bounds how long
  /// teardown waits beyond the running tasks themselves).
  static constexpr std::chrono::milliseconds kSlice{2};
  /// At most one teardown probe per interval per environment (see `probe`).
  static constexpr std::chrono::milliseconds kProbeInterval{20};

  /// The pool of `env`, made (with its cleanup hook) on first use. Thread: JS thread only.
  static std::shared_ptr<TaskPool> of(napi_env env);

  /// Queues `job`; false when the environment is closing (the job is left to the caller).
  /// Thread: JS thread only.
  bool submit(std::shared_ptr<PoolJob>& job);

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

  explicit TaskPool(napi_env env) : env_(env), max_runners_(runner_limit()) {}

 private:
  struct Runner {
    std::shared_ptr<TaskPool> pool;
    napi_async_work work = nullptr;
  };

  static int runner_limit() {
    // The libuv pool's size: more runners than threads would only queue behind each other.
    const char* v = std::getenv("UV_THREADPOOL_SIZE");
    int n = v != nullptr ? std::atoi(v) : 0;
    if (n <= 0) n = 4;
    return n > 1024 ? 1024 : n;
  }

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
  static void on_execute(napi_env env, void* data);
  static void on_complete(napi_env env, napi_status status, void* data);
  static void on_cleanup(void* arg);

  struct Registry {
    std::mutex mutex;
    std::unordered_map<napi_env, std::shared_ptr<TaskPool>> pools;
    static Registry& get() {
      static Registry* r = new Registry();  // leaked: pool threads may outlive static destructors
      return *r;
    }
  };

  const napi_env env_;
  const int max_runners_;
  std::atomic<bool> closing_{false};
  std::optional<Channel> probe_channel_;  // set once on the JS thread, before any task
  std::atomic<bool> probe_pending_{false};
  std::atomic<std::int64_t> last_probe_{0};
  std::mutex mutex_;
  std::deque<std::shared_ptr<PoolJob>> queue_;
  int runners_ = 0;  // napi_async_work items created and not yet completed
};

// ---------------------------------------------------------------------------------------------
// Definitions

inline std::shared_ptr<TaskPool> TaskPool::of(napi_env env) {
  Registry& r = Registry::get();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto& slot = r.pools[env];
  if (!slot) {
    slot = std::make_shared<TaskPool>(env);
    napi_add_env_cleanup_hook(env, on_cleanup, env);
    ChannelOptions options;
    options.name = "napix:task-probe";
    options.keep_alive = false;
    NAPIX_TRY { slot->probe_channel_.emplace(Napi::Env(env), options); }
    NAPIX_CATCH(...) {}
  }
  return slot;
}

inline void TaskPool::on_cleanup(void* arg) {
  auto env = static_cast<napi_env>(arg);
  std::shared_ptr<TaskPool> pool;
  {
    Registry& r = Registry::get();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.pools.find(env);
    if (it == r.pools.end()) return;
    pool = std::move(it->second);
    r.pools.erase(it);
  }
  pool->close_and_drop();
}

inline void TaskPool::probe() noexcept {
  if (!probe_channel_ || closing()) return;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  const std::int64_t interval = std::chrono::nanoseconds(kProbeInterval).count();
  if (now - last_probe_.load(std::memory_order_relaxed) < interval) return;
  if (probe_pending_.exchange(true, std::memory_order_acq_rel)) return;
  last_probe_.store(now, std::memory_order_relaxed);
  NAPIX_TRY {
    probe_channel_->try_send([probe = Probe(weak_from_this())](Napi::Env) mutable { probe.ran(); });
  }
  NAPIX_CATCH(...) { probe_pending_.store(false, std::memory_order_release); }
}

inline bool TaskPool::submit(std::shared_ptr<PoolJob>& job) {
  bool spawn = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closing()) return false;
    queue_.push_back(std::move(job));
    if (runners_ < max_runners_) {
      ++runners_;
      spawn = true;
    }
  }
  if (spawn) start_runner();
  return true;
}

inline void TaskPool::start_runner() {
  auto* runner = new Runner{shared_from_this()};
  napi_value name = nullptr;
  napi_status s = napi_create_string_utf8(env_, "napix:task", NAPI_AUTO_LENGTH, &name);
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
  std::deque<std::shared_ptr<PoolJob>> rest;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_.store(true, std::memory_order_release);
    rest.swap(queue_);
  }
  rest.clear();  // destroyed unrun, outside the lock
}

inline void TaskPool::on_execute(napi_env, void* data) {
  TaskPool& pool = *static_cast<Runner*>(data)->pool;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    std::shared_ptr<PoolJob> job;
    {
      std::lock_guard<std::mutex> lock(pool.mutex_);
      if (pool.closing() || pool.queue_.empty()) return;
      job = std::move(pool.queue_.front());
      pool.queue_.pop_front();
    }
    job->run();
    job.reset();
    if (std::chrono::steady_clock::now() - start >= kSlice) return;
  }
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
    return;
  }
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
}

}  // namespace detail
}  // namespace napix
