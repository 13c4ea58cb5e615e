// napix/task.h — napix::task(): run C++ on the libuv threadpool and complete on the JS thread
// (Neon's cx.task()), with promises, cancellation (TaskHandle, AbortSignal) and progress.
#pragma once

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "cancel.h"
#include "convert.h"
#include "error.h"
#include "promise.h"
#include "detail/env.h"
#include "detail/js_value.h"
#include "detail/task_core.h"

namespace napix {

class TaskContext;
class TaskHandle;
template <class E>
class TaskBuilder;

namespace detail {

/// A task that settles a promise (`promise`, `cancellable_promise`).
class PromiseTask final : public TaskCore {
 public:
  PromiseTask(napi_env e, Deferred d) : TaskCore(e), deferred(std::move(d)) { has_promise = true; }
  void reject_js(napi_value reason) override { deferred.reject(Napi::Value(env, reason)); }
  Deferred deferred;
};

}  // namespace detail

/// What `execute` gets when it takes an argument: whether it should stop, and a way to report
/// progress. Thread: the pool thread running `execute` (valid only during that call).
class TaskContext {
 public:
  /// True once the task was cancelled (TaskHandle::cancel, its AbortSignal) or its environment
  /// began tearing down. Thread: any.
  bool cancelled() const noexcept { return core_->cancelled(); }

  /// Sends `value` to the `on_progress` function: it is called with `to_js(value)` on the JS
  /// thread, every value, in order, all before the task completes. Without `on_progress`, or
  /// once the task is settled (cancelled), values are dropped. Thread: the execute thread.
  template <class T>
  void progress(T value);

  /// The task's CancelToken: cancelled when the task is (TaskHandle::cancel, its AbortSignal —
  /// the token's callbacks then run on the JS thread) or when `cancelled()` sees the environment
  /// tearing down; cancelling it makes `cancelled()` true (the promise is not rejected by that).
  /// Copies may go to other threads and outlive the task. Thread: any.
  CancelToken token() const { return CancelToken(core_->token()); }

 private:
  template <class E>
  friend class TaskBuilder;
  explicit TaskContext(detail::TaskCore* core) noexcept : core_(core) {}
  detail::TaskCore* core_;
};

/// Cancels one task. Copyable; does not keep the task alive. Thread: JS thread only.
class TaskHandle {
 public:
  TaskHandle() = default;

  /// A task not yet started never runs; a running one sees `ctx.cancelled()`; either way its
  /// promise rejects at once with an Error named "AbortError" (code "ABORT_ERR"). No effect on a
  /// settled task. Thread: JS thread only.
  /// Errors: called off the JS thread, `std::logic_error` (exceptions off: a fatal error).
  void cancel() const {
    if (std::shared_ptr<detail::TaskCore> core = lock("cancel")) core->cancel_js(nullptr);
  }

  /// True until the task settled (or was cancelled). Thread: JS thread only (checked as cancel).
  bool pending() const {
    std::shared_ptr<detail::TaskCore> core = lock("pending");
    return core && !core->settled;
  }

 private:
  template <class E>
  friend class TaskBuilder;
  explicit TaskHandle(std::weak_ptr<detail::TaskCore> core) : core_(std::move(core)) {}
  std::shared_ptr<detail::TaskCore> lock(const char* what) const {
    std::shared_ptr<detail::TaskCore> core = core_.lock();
    if (core && core->pool && !core->pool->on_js_thread()) {
      detail::misuse(std::string("napix::TaskHandle::").append(what).append(" called off its JavaScript thread").c_str());
    }
    return core;
  }
  std::weak_ptr<detail::TaskCore> core_;
};

/// Configures and starts a task; made by `napix::task()`. Options return the builder; one of
/// `and_then`, `promise`, `cancellable_promise` starts the task (once). Thread: JS thread only.
template <class E>
class TaskBuilder {
 public:
  /// What `execute` returns.
  using Output = typename detail::ExecOutput<E>::type;
  /// What a promise settles with: Output, or T for a `Result<T>`.
  using Value = typename detail::ResultValue<Output>::type;

  TaskBuilder(Napi::Env env, E execute) : env_(env), execute_(std::move(execute)) {}

  /// The async resource name async_hooks and diagnostics see (default "napix:task").
  TaskBuilder& name(std::string n) & {
    name_ = std::move(n);
    named_ = true;
    return *this;
  }
  TaskBuilder&& name(std::string n) && { return std::move(name(std::move(n))); }

  /// A JS AbortSignal: aborting it has the effect of `TaskHandle::cancel()`, and the promise
  /// rejects with `signal.reason` (an AbortError when it has none). Already aborted, or aborted
  /// while napix adds its listener: the task is never queued and the promise rejects at once.
  /// `undefined`/`null`: no signal. Errors (when the task starts; it then never runs): anything
  /// but an AbortSignal of this realm (`instanceof AbortSignal`) is a TypeError (code
  /// ERR_INVALID_ARG_TYPE); an `addEventListener` that throws gives what it threw. A promise
  /// rejects with it; `and_then` throws it (exceptions off: leaves it pending).
  TaskBuilder& signal(Napi::Value abort_signal) & {
    signal_ = abort_signal;
    return *this;
  }
  TaskBuilder&& signal(Napi::Value abort_signal) && { return std::move(signal(abort_signal)); }

  /// `fn(to_js(value))` on the JS thread for every `ctx.progress(value)`. Errors: as `signal`,
  /// a TypeError (ERR_INVALID_ARG_TYPE) when `fn` is not a function (`undefined` included).
  TaskBuilder& on_progress(Napi::Function fn) & {
    progress_ = fn;
    return *this;
  }
  TaskBuilder&& on_progress(Napi::Function fn) && { return std::move(on_progress(fn)); }

  /// Starts the task; `complete(env, Output&&)` (`complete(env)` for void) runs on the JS thread
  /// with the result. A C++ exception escaping execute or complete, or a JS exception left by
  /// complete, becomes the process's `uncaughtException`.
  template <class C>
  void and_then(C complete);

  /// Starts the task; the promise settles with `complete(env, Value&&)`'s result (converted by
  /// `to_js`), or rejects with what execute or complete throws, or an error Result.
  template <class C>
  Napi::Promise promise(C complete) {
    return launch_promise(std::move(complete)).second;
  }
  /// As `promise(complete)`, resolving with `to_js(value)` (`undefined` for void).
  Napi::Promise promise() { return launch_promise(identity(), detail::plain_value_v<Value>).second; }

  /// As `promise`, with a handle that cancels the task.
  template <class C>
  std::pair<TaskHandle, Napi::Promise> cancellable_promise(C complete) {
    auto [core, p] = launch_promise(std::move(complete));
    return {TaskHandle(core), p};
  }
  std::pair<TaskHandle, Napi::Promise> cancellable_promise() {
    auto [core, p] = launch_promise(identity(), detail::plain_value_v<Value>);
    return {TaskHandle(core), p};
  }

 private:
  using Exec = detail::ExecResult<Output>;

  static auto identity() {
    if constexpr (std::is_void_v<Value>) {
      return [](Napi::Env) {};
    } else {
      return [](Napi::Env, Value&& v) -> Value { return std::move(v); };
    }
  }

  // `plain`: `complete` is the identity on a plain_value_v, so no user code runs on the JS thread.
  template <class C>
  std::pair<std::shared_ptr<detail::TaskCore>, Napi::Promise> launch_promise(C complete, bool plain = false);
  // Starts the task; `finish(env, Exec&&, Core&)` runs on the JS thread when it completes.
  template <class Core, class Finish>
  void launch(const std::shared_ptr<Core>& core, Finish finish, napi_value resource = nullptr,
              bool plain = false);
  // Checks the options and adds the abort listener; false: the task is settled, never to start.
  bool prepare_start(const std::shared_ptr<detail::TaskCore>& core);
  // Settles the task unstarted with `error`: rejects its promise, or throws for and_then.
  bool fail_start(const std::shared_ptr<detail::TaskCore>& core, napi_value error);
  bool fail_start(const std::shared_ptr<detail::TaskCore>& core, std::string message) {
    return fail_start(core, to_js_error(env_, Error::type_error(std::move(message))).Value());
  }

  Napi::Env env_;
  E execute_;
  std::string name_ = "napix:task";
  bool named_ = false;  // name() was called: the task wants its own async resource
  Napi::Value signal_;
  Napi::Function progress_;
};

/// A task running `execute` (`O()` or `O(TaskContext&)`) on the libuv threadpool; start it with
/// `and_then`, `promise` or `cancellable_promise`. Thread: JS thread only.
template <class E>
TaskBuilder<std::decay_t<E>> task(Napi::Env env, E&& execute) {
  return TaskBuilder<std::decay_t<E>>(env, std::forward<E>(execute));
}

// ---------------------------------------------------------------------------------------------
// Definitions

template <class T>
void TaskContext::progress(T value) {
  if (!core_->has_progress) return;
  core_->pool->deliver([core = core_->shared_from_this(), v = std::move(value)](Napi::Env env) mutable {
    if (core->settled || core->progress_fn == nullptr) return;
    core->in_context(env, [&] {
      napi_value fn = nullptr;
      napi_get_reference_value(env, core->progress_fn, &fn);
      Napi::Value arg = napix::to_js(env, std::move(v));
      if (arg.IsEmpty() || fn == nullptr) return;  // exceptions off: a failed conversion is pending
      Napi::Function(env, fn).Call({arg});
    });
  });
}

template <class E>
bool TaskBuilder<E>::fail_start(const std::shared_ptr<detail::TaskCore>& core, napi_value error) {
  core->finish_js();
  if (core->has_promise) {
    core->reject_js(error);
    return false;
  }
#if NAPIX_EXCEPTIONS
  throw Napi::Error(env_, error);
#else
  napi_throw(env_, error);
  return false;
#endif
}

template <class E>
bool TaskBuilder<E>::prepare_start(const std::shared_ptr<detail::TaskCore>& core) {
  napi_env env = env_;
  if (!progress_.IsEmpty()) {
    napi_valuetype t = napi_undefined;
    if (napi_typeof(env, progress_, &t) != napi_ok || t != napi_function) {
      return fail_start(core, "napix::task: .on_progress(fn): expected function, got " +
                                  detail::describe_type(env, progress_));
    }
  }
  if (signal_.IsEmpty() || signal_.IsUndefined() || signal_.IsNull()) return true;
  napi_value error = nullptr;
  std::string message;
  switch (detail::link_abort_signal(env, core, signal_, &error, &message)) {
    case detail::SignalLink::linked: return true;
    case detail::SignalLink::cancelled: return false;
    case detail::SignalLink::failed: break;
  }
  return error != nullptr ? fail_start(core, error) : fail_start(core, std::move(message));
}

template <class E>
template <class Core, class Finish>
void TaskBuilder<E>::launch(const std::shared_ptr<Core>& core, Finish finish,
                            napi_value resource, bool plain) {
  core->pool = detail::env_entry(env_).task_pool();
  if (!prepare_start(core)) return;
  if (!progress_.IsEmpty()) {
    napi_create_reference(env_, progress_, 1, &core->progress_fn);
    core->has_progress = true;
  }
  core->body = [execute = std::move(execute_), finish = std::move(finish)](detail::TaskCore& c) mutable {
    TaskContext ctx(&c);
    c.completion = [c = static_cast<Core*>(&c), r = detail::run_execute<Output>(execute, ctx),
                    finish = std::move(finish)](napi_env env) mutable {
      c->finish_js();
      finish(Napi::Env(env), std::move(r), *c);
    };
  };
  // The creator's async context, for `complete` and progress (AsyncLocalStorage). The promise,
  // when there is one, is the async resource: no extra object per task. Skipped when no user
  // code will run in it and nobody named the task for async_hooks: it costs a quarter of a
  // sequential task's instructions (napi_async_init, napi_make_callback, napi_async_destroy).
  if (!(plain && progress_.IsEmpty() && !named_)) {
    napi_value name = nullptr;
    if (detail::make_name(env_, name_, &name) == napi_ok) {
      napi_async_init(env_, resource, name, &core->async_context);
    }
  }
  std::shared_ptr<detail::PoolJob> job = core;
  if (!core->pool->submit(job)) core->finish_js();  // the environment is closing
}

template <class E>
template <class C>
void TaskBuilder<E>::and_then(C complete) {
  auto core = std::make_shared<detail::TaskCore>(env_);
  launch(core, [complete = std::move(complete)](Napi::Env env, Exec&& r, detail::TaskCore&) mutable {
    if (!r.value) {
      throw_js(env, *r.error);  // becomes uncaughtException (in_context raises it)
      return;
    }
    if constexpr (std::is_void_v<Output>) {
      complete(env);
    } else {
      complete(env, std::move(*r.value));
    }
  });
}

template <class E>
template <class C>
std::pair<std::shared_ptr<detail::TaskCore>, Napi::Promise> TaskBuilder<E>::launch_promise(C complete, bool plain) {
  auto [d, p] = napix::promise(env_);
  if (d.settled()) {
    // Exceptions off, and the environment can no longer run JS (a Worker that called
    // process.exit() earlier in this batch): no promise, its JS exception is pending. Start
    // nothing — a later cancel() or completion would settle an empty Deferred (a fatal error).
    auto core = std::make_shared<detail::TaskCore>(env_);
    core->settled = true;
    return {core, p};
  }
  auto core = std::make_shared<detail::PromiseTask>(env_, std::move(d));
  launch(core, [complete = std::move(complete)](Napi::Env, Exec&& r, detail::PromiseTask& c) mutable {
    if (!r.value) {
      c.deferred.reject(*r.error);
      return;
    }
    if constexpr (is_result_v<Output>) {
      Output& out = *r.value;
      if (!out) {
        c.deferred.reject(out.error());
      } else if constexpr (std::is_void_v<Value>) {
        c.deferred.settle_with([&](Napi::Env e) { return complete(e); });
      } else {
        c.deferred.settle_with([&](Napi::Env e) { return complete(e, std::move(out).value()); });
      }
    } else if constexpr (std::is_void_v<Output>) {
      c.deferred.settle_with([&](Napi::Env e) { return complete(e); });
    } else {
      c.deferred.settle_with([&](Napi::Env e) { return complete(e, std::move(*r.value)); });
    }
  }, p, plain);
  return {core, p};
}

}  // namespace napix
