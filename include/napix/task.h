// napix/task.h — napix::task(): run C++ on the libuv threadpool and complete on the JS thread
// (Neon's cx.task()), with promises, cancellation (TaskHandle, AbortSignal) and progress.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "channel.h"
#include "convert.h"
#include "error.h"
#include "promise.h"
#include "detail/js_value.h"
#include "detail/task_pool.h"
#include "detail/unique_function.h"

namespace napix {

class TaskContext;
class TaskHandle;
template <class E>
class TaskBuilder;

/// The name, message and code of the Error a cancelled task's promise rejects with (Node's own).
inline constexpr const char* kAbortErrorName = "AbortError";
inline constexpr const char* kAbortErrorMessage = "The operation was aborted";
inline constexpr const char* kAbortErrorCode = "ABORT_ERR";

namespace detail {

/// One task: its state across threads, its Channel back to the JS thread, and (JS thread only)
/// its promise and JS references.
class TaskCore : public PoolJob, public std::enable_shared_from_this<TaskCore> {
 public:
  enum : int { kQueued, kRunning, kFinished, kSkipped };

  explicit TaskCore(napi_env e) : env(e) {}
  // Unreleased napi_refs (teardown) are freed by the environment. The async context is freed
  // here when this runs on the JS thread — napix releases every TaskCore there while the
  // environment lives (see TaskPool's orphans); otherwise the environment is gone with it.
  ~TaskCore() override {
    if (async_context != nullptr && pool && pool->on_js_thread()) napi_async_destroy(env, async_context);
  }

  void run() override;
  bool ordered() const noexcept override { return has_progress; }
  void complete_js(napi_env env) override;

  bool cancelled() const noexcept {
    if (cancel_requested.load(std::memory_order_acquire)) return true;
    if (!pool) return false;
    if (pool->closing()) return true;
    pool->probe();  // rate-limited: learn of a Worker's teardown while this task runs
    return false;
  }
  /// Marks the task settled and lets go of its JS references. Thread: JS thread only.
  void finish_js();
  /// Cancels: a queued task never runs, a running one sees cancelled(); the promise (if any)
  /// rejects with `reason` (null: an AbortError). No effect once settled. Thread: JS thread only.
  void cancel_js(napi_value reason);
  /// Runs `f()` on the JS thread in the async context of the task's creator. Thread: JS thread.
  template <class F>
  void in_context(napi_env e, F&& f) {
    pool->in_context(e, async_context, std::forward<F>(f));
  }

  // Shared across threads (set before the task is queued, then read-only, except the atomics).
  std::atomic<int> state{kQueued};
  std::atomic<bool> cancel_requested{false};
  std::shared_ptr<TaskPool> pool;
  UniqueFunction<void(TaskContext&)> body;  // pool thread; sets `completion`
  // Made on the pool thread, run on the JS thread. Room for the result of most tasks inline.
  UniqueFunction<void(napi_env), 72> completion;
  bool has_progress = false;

  // JS thread only.
  const napi_env env;
  napi_async_context async_context = nullptr;  // the creator's: AsyncLocalStorage, async_hooks
  bool settled = false;
  bool has_promise = false;
  Deferred deferred;
  napi_ref progress_fn = nullptr;
  napi_ref signal = nullptr;
  napi_ref listener = nullptr;
};

// Latin-1 when it can be (most names are ASCII): cheaper than UTF-8 decoding, once per task.
inline napi_status make_name(napi_env env, const std::string& name, napi_value* out) {
  for (unsigned char ch : name) {
    if (ch >= 0x80) return napi_create_string_utf8(env, name.data(), name.size(), out);
  }
  return napi_create_string_latin1(env, name.data(), name.size(), out);
}

inline Napi::Value abort_error(napi_env env) {
  return to_js_error(Napi::Env(env), Error(kAbortErrorName, kAbortErrorMessage, kAbortErrorCode))
      .Value();
}

/// How `execute` ended: its value (monostate for void) or the error it threw.
template <class O>
struct ExecResult {
  using Stored = std::conditional_t<std::is_void_v<O>, std::monostate, O>;
  std::optional<Stored> value;
  std::unique_ptr<Error> error;  // boxed: keeps the usual (successful) result small
};

template <class E>
constexpr bool takes_context_v = std::is_invocable_v<E&, TaskContext&>;

template <class E, bool = takes_context_v<E>>
struct ExecOutput {
  using type = std::invoke_result_t<E&, TaskContext&>;
};
template <class E>
struct ExecOutput<E, false> {
  static_assert(std::is_invocable_v<E&>,
                "napix::task: execute must be callable as O() or O(napix::TaskContext&)");
  using type = std::invoke_result_t<E&>;
};

template <class O>
struct ResultValue {
  using type = O;
};
template <class T>
struct ResultValue<Result<T>> {
  using type = T;
};

/// Values whose `to_js` runs no user code (no JS call, no user Converter): a task that just
/// resolves with one needs no async context of its own (see TaskBuilder::launch).
template <class V>
inline constexpr bool plain_value_v =
    std::is_void_v<V> || std::is_arithmetic_v<V> || std::is_same_v<V, std::string>;

template <class O, class E>
ExecResult<O> run_execute(E& execute, TaskContext& ctx) {
  ExecResult<O> r;
  auto call = [&]() -> O {
    if constexpr (takes_context_v<E>) {
      return execute(ctx);
    } else {
      (void)ctx;
      return execute();
    }
  };
  NAPIX_TRY {
    if constexpr (std::is_void_v<O>) {
      call();
      r.value.emplace();
    } else {
      r.value.emplace(call());
    }
  }
  NAPIX_CATCH(const JsError& e) {
#if NAPIX_EXCEPTIONS
    r.error = std::make_unique<Error>(e.to_error());
#endif
  }
  NAPIX_CATCH(const std::exception& e) {
#if NAPIX_EXCEPTIONS
    r.error = std::make_unique<Error>(e.what());
#endif
  }
  NAPIX_CATCH(...) {
#if NAPIX_EXCEPTIONS
    r.error = std::make_unique<Error>("napix: unknown C++ exception in a task's execute");
#endif
  }
  return r;
}

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

 private:
  friend class detail::TaskCore;
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
  // Starts the task; `finish(env, Exec&&, TaskCore&)` runs on the JS thread when it completes.
  template <class Finish>
  void launch(const std::shared_ptr<detail::TaskCore>& core, Finish finish, napi_value resource = nullptr,
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

namespace detail {

inline void TaskCore::run() {
  int expected = kQueued;
  if (!state.compare_exchange_strong(expected, kRunning, std::memory_order_acq_rel) ||
      cancel_requested.load(std::memory_order_acquire) || pool->closing()) {
    // Skipped. `body` holds the user's `complete`, which may hold JS references: complete_js
    // destroys it on the JS thread.
    state.store(kSkipped, std::memory_order_release);
    return;
  }
  TaskContext ctx(this);
  body(ctx);
  state.store(kFinished, std::memory_order_release);
}

inline void TaskCore::complete_js(napi_env e) {
  pool->done_js();
  UniqueFunction<void(napi_env), 72> c = std::move(completion);
  body = nullptr;
  if (!settled && c) in_context(e, [&] { c(e); });
  c = nullptr;
  if (async_context != nullptr) napi_async_destroy(e, async_context);
  async_context = nullptr;
}

inline void TaskCore::finish_js() {
  settled = true;
  if (signal != nullptr && listener != nullptr) {
    napi_value s = nullptr, l = nullptr, remove = nullptr, type = nullptr, ignored = nullptr;
    napi_get_reference_value(env, signal, &s);
    napi_get_reference_value(env, listener, &l);
    if (s != nullptr && l != nullptr &&
        napi_get_named_property(env, s, "removeEventListener", &remove) == napi_ok &&
        napi_create_string_utf8(env, "abort", NAPI_AUTO_LENGTH, &type) == napi_ok) {
      napi_value argv[2] = {type, l};
      napi_call_function(env, s, remove, 2, argv, &ignored);
    }
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      napi_get_and_clear_last_exception(env, &ignored);
    }
  }
  for (napi_ref* ref : {&progress_fn, &signal, &listener}) {
    if (*ref != nullptr) napi_delete_reference(env, *ref);
    *ref = nullptr;
  }
}

inline void TaskCore::cancel_js(napi_value reason) {
  if (settled) return;
  cancel_requested.store(true, std::memory_order_release);
  int expected = kQueued;
  state.compare_exchange_strong(expected, kSkipped, std::memory_order_acq_rel);
  finish_js();
  if (has_promise) {
    deferred.reject(reason != nullptr ? Napi::Value(env, reason) : abort_error(env));
  }
}

}  // namespace detail

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

namespace detail {

// The pending JS exception, cleared; null when there is none. Thread: JS thread only.
inline napi_value take_exception(napi_env env) {
  bool pending = false;
  napi_value thrown = nullptr;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_get_and_clear_last_exception(env, &thrown);
  }
  return thrown;
}

// `signal.aborted` of a real AbortSignal of this realm; nullopt for anything else (a look-alike
// may never call its listeners). The getter's brand check refuses Object.create(prototype).
inline std::optional<bool> abort_signal_state(napi_env env, napi_value signal) {
  napi_value global = nullptr, ctor = nullptr, aborted = nullptr;
  napi_valuetype type = napi_undefined;
  bool is = false;
  std::optional<bool> state;
  if (napi_typeof(env, signal, &type) == napi_ok && type == napi_object &&
      napi_get_global(env, &global) == napi_ok &&
      napi_get_named_property(env, global, "AbortSignal", &ctor) == napi_ok &&
      napi_typeof(env, ctor, &type) == napi_ok && type == napi_function &&
      napi_instanceof(env, signal, ctor, &is) == napi_ok && is &&
      napi_get_named_property(env, signal, "aborted", &aborted) == napi_ok &&
      napi_get_value_bool(env, aborted, &is) == napi_ok) {
    state = is;
  }
  take_exception(env);  // a throwing getter or Symbol.hasInstance: not a signal
  return state;
}

// `signal.reason`, or null (an AbortError) when it is undefined or its getter throws.
inline napi_value abort_reason(napi_env env, napi_value signal) {
  napi_value reason = nullptr;
  napi_valuetype type = napi_undefined;
  if (signal == nullptr || napi_get_named_property(env, signal, "reason", &reason) != napi_ok ||
      napi_typeof(env, reason, &type) != napi_ok || type == napi_undefined) {
    take_exception(env);
    return nullptr;
  }
  return reason;
}

}  // namespace detail

template <class E>
bool TaskBuilder<E>::fail_start(const std::shared_ptr<detail::TaskCore>& core, napi_value error) {
  core->finish_js();
  if (core->has_promise) {
    core->deferred.reject(Napi::Value(env_, error));
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
  napi_value s = signal_;
  std::optional<bool> aborted = detail::abort_signal_state(env, s);
  if (!aborted) {
    return fail_start(
        core, "napix::task: .signal(): expected AbortSignal, got " + detail::describe_type(env, s));
  }
  if (*aborted) {  // rejects at once, never queued
    core->cancel_js(detail::abort_reason(env, s));
    return false;
  }
  std::weak_ptr<detail::TaskCore> weak = core;
  Napi::Function listener = Napi::Function::New(
      env_,
      [weak](const Napi::CallbackInfo& info) -> Napi::Value {
        std::shared_ptr<detail::TaskCore> c = weak.lock();
        if (!c || c->settled || c->signal == nullptr) return info.Env().Undefined();
        napi_env e = info.Env();
        napi_value sig = nullptr;
        napi_get_reference_value(e, c->signal, &sig);
        c->cancel_js(detail::abort_reason(e, sig));
        return info.Env().Undefined();
      },
      "napixTaskAbort");
  // The references first: a signal may call the listener before addEventListener returns.
  napi_create_reference(env, s, 1, &core->signal);
  napi_create_reference(env, listener, 1, &core->listener);
  napi_value add = nullptr, type = nullptr, options = nullptr, yes = nullptr, ignored = nullptr;
  napi_status status = napi_get_named_property(env, s, "addEventListener", &add);
  if (status == napi_ok) status = napi_create_string_utf8(env, "abort", NAPI_AUTO_LENGTH, &type);
  if (status == napi_ok) status = napi_create_object(env, &options);
  if (status == napi_ok) status = napi_get_boolean(env, true, &yes);
  if (status == napi_ok) status = napi_set_named_property(env, options, "once", yes);
  if (status == napi_ok) {
    napi_value argv[3] = {type, listener, options};
    status = napi_call_function(env, s, add, 3, argv, &ignored);
  }
  napi_value thrown = detail::take_exception(env);
  if (core->settled) return false;  // the listener ran (and cancelled) while being added
  if (status != napi_ok) {
    if (thrown == nullptr) {
      return fail_start(core, "napix::task: .signal(): could not add an abort listener");
    }
    return fail_start(core, thrown);
  }
  aborted = detail::abort_signal_state(env, s);
  if (!aborted || *aborted) {  // aborted while adding, and the listener was not called
    core->cancel_js(detail::abort_reason(env, s));
    return false;
  }
  return true;
}

template <class E>
template <class Finish>
void TaskBuilder<E>::launch(const std::shared_ptr<detail::TaskCore>& core, Finish finish,
                            napi_value resource, bool plain) {
  core->pool = detail::TaskPool::of(env_);
  if (!prepare_start(core)) return;
  if (!progress_.IsEmpty()) {
    napi_create_reference(env_, progress_, 1, &core->progress_fn);
    core->has_progress = true;
  }
  core->body = [execute = std::move(execute_), finish = std::move(finish)](TaskContext& ctx) mutable {
    detail::TaskCore* c = ctx.core_;
    c->completion = [c, r = detail::run_execute<Output>(execute, ctx),
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
  auto core = std::make_shared<detail::TaskCore>(env_);
  auto [d, p] = napix::promise(env_);
  if (d.settled()) {
    // Exceptions off, and the environment can no longer run JS (a Worker that called
    // process.exit() earlier in this batch): no promise, its JS exception is pending. Start
    // nothing — a later cancel() or completion would settle an empty Deferred (a fatal error).
    core->settled = true;
    return {core, p};
  }
  core->deferred = std::move(d);
  core->has_promise = true;
  launch(core, [complete = std::move(complete)](Napi::Env, Exec&& r, detail::TaskCore& c) mutable {
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
