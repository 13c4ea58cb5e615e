// napix/detail/task_core.h — the inside of napix::task(): one task's state across threads
// (TaskCore, the PoolJob the task pool runs), how `execute` runs and reports, and the glue to a JS
// AbortSignal. task.h is the builder and handle on top of it; the pool is task_pool.h.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "../config.h"
#include "../convert.h"
#include "../error.h"
#include "cancel_state.h"
#include "js_thread.h"
#include "js_value.h"
#include "task_pool.h"
#include "unique_function.h"
#include "visibility.h"

namespace napix {

class TaskContext;

namespace detail {

/// One task: its state across threads, its pool, and (JS thread only) its JS references. A task
/// with a promise is a subclass that settles it (task.h's PromiseTask: this header cannot hold
/// a Deferred).
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
    if (CancelState* t = token_raw.load(std::memory_order_acquire); t != nullptr && t->cancelled()) {
      return true;  // its token was cancelled (ctx.token().cancel())
    }
    if (!pool) return false;
    if (pool->closing()) {
      cancel_token();
      return true;
    }
    pool->probe();  // rate-limited: learn of a Worker's teardown while this task runs
    return false;
  }
  /// The task's token state, made on first use; cancelled once the task is. Thread: any.
  std::shared_ptr<CancelState> token() const;
  /// Cancels the token, if one was made (its callbacks run here). Thread: any.
  void cancel_token() const noexcept;
  /// Marks the task settled and lets go of its JS references. Thread: JS thread only.
  void finish_js();
  /// Cancels: a queued task never runs, a running one sees cancelled(); the promise (if any)
  /// rejects with `reason` (null: an AbortError). No effect once settled. Thread: JS thread only.
  void cancel_js(napi_value reason);
  /// Rejects the task's promise with `reason`; nothing for a task without one. Thread: JS thread.
  virtual void reject_js(napi_value reason) { (void)reason; }
  /// Runs `f()` on the JS thread in the async context of the task's creator. Thread: JS thread.
  template <class F>
  void in_context(napi_env e, F&& f) {
    pool->in_context(e, async_context, std::forward<F>(f));
  }

  // Shared across threads (set before the task is queued, then read-only, except the atomics).
  std::atomic<int> state{kQueued};
  std::atomic<bool> cancel_requested{false};
  std::shared_ptr<TaskPool> pool;
  UniqueFunction<void(TaskCore&)> body;  // pool thread; sets `completion`
  // Made on the pool thread, run on the JS thread. Room for the result of most tasks inline.
  UniqueFunction<void(napi_env), 72> completion;
  bool has_progress = false;
  // TaskContext::token(): made on first use (most tasks never ask), under token_mutex;
  // token_raw lets cancelled() look without the lock.
  mutable std::mutex token_mutex;
  mutable std::shared_ptr<CancelState> token_state;
  mutable std::atomic<CancelState*> token_raw{nullptr};

  // JS thread only.
  const napi_env env;
  napi_async_context async_context = nullptr;  // the creator's: AsyncLocalStorage, async_hooks
  bool settled = false;
  bool has_promise = false;  // set by the subclass that overrides reject_js
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

/// The Error a task cancelled without a reason rejects with: Node's own AbortError.
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
NAPIX_LOCAL inline constexpr bool plain_value_v =
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
  NAPIX_CATCH(...) {
    r.error = std::make_unique<Error>(caught_error("napix: unknown C++ exception in a task's execute"));
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Definitions

inline void TaskCore::run() {
  int expected = kQueued;
  if (!state.compare_exchange_strong(expected, kRunning, std::memory_order_acq_rel) ||
      cancel_requested.load(std::memory_order_acquire) || pool->closing()) {
    // Skipped. `body` holds the user's `complete`, which may hold JS references: complete_js
    // destroys it on the JS thread.
    state.store(kSkipped, std::memory_order_release);
    return;
  }
  body(*this);
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
    clear_pending_js_error(env);
  }
  for (napi_ref* ref : {&progress_fn, &signal, &listener}) {
    if (*ref != nullptr) napi_delete_reference(env, *ref);
    *ref = nullptr;
  }
}

inline std::shared_ptr<CancelState> TaskCore::token() const {
  std::shared_ptr<CancelState> t;
  {
    std::lock_guard<std::mutex> lock(token_mutex);
    if (!token_state) {
      token_state = std::make_shared<CancelState>();
      token_raw.store(token_state.get(), std::memory_order_release);
    }
    t = token_state;
  }
  // Cancelled before the token existed: cancel_js found none to cancel (it reads under the lock).
  if (cancel_requested.load(std::memory_order_acquire) || (pool && pool->closing())) t->cancel();
  return t;
}

inline void TaskCore::cancel_token() const noexcept {
  std::shared_ptr<CancelState> t;
  {
    std::lock_guard<std::mutex> lock(token_mutex);
    t = token_state;
  }
  if (t) t->cancel();
}

inline void TaskCore::cancel_js(napi_value reason) {
  if (settled) return;
  cancel_requested.store(true, std::memory_order_release);
  cancel_token();  // the token's callbacks run here, on the JS thread
  int expected = kQueued;
  state.compare_exchange_strong(expected, kSkipped, std::memory_order_acq_rel);
  finish_js();
  if (has_promise) reject_js(reason != nullptr ? reason : static_cast<napi_value>(abort_error(env)));
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
  clear_pending_js_error(env);  // a throwing getter or Symbol.hasInstance: not a signal
  return state;
}

// `signal.reason`, or null (an AbortError) when it is undefined or its getter throws.
inline napi_value abort_reason(napi_env env, napi_value signal) {
  napi_value reason = nullptr;
  napi_valuetype type = napi_undefined;
  if (signal == nullptr || napi_get_named_property(env, signal, "reason", &reason) != napi_ok ||
      napi_typeof(env, reason, &type) != napi_ok || type == napi_undefined) {
    clear_pending_js_error(env);
    return nullptr;
  }
  return reason;
}

/// How linking a task to an AbortSignal went (see link_abort_signal).
enum class SignalLink {
  linked,     ///< aborting the signal will cancel the task
  cancelled,  ///< already aborted (or aborted while linking): the task was cancelled
  failed,     ///< `*error` (a JS value) or `*message` (for a TypeError) says why
};

/// Makes aborting `signal` — a real AbortSignal of this realm — cancel `core` with the signal's
/// reason: a listener added with {once: true}, removed when the task settles (finish_js).
/// Thread: JS thread only.
inline SignalLink link_abort_signal(napi_env env, const std::shared_ptr<TaskCore>& core,
                                    napi_value signal, napi_value* error, std::string* message) {
  std::optional<bool> aborted = abort_signal_state(env, signal);
  if (!aborted) {
    *message = "napix::task: .signal(): expected AbortSignal, got " + describe_type(env, signal);
    return SignalLink::failed;
  }
  if (*aborted) {  // rejects at once, never queued
    core->cancel_js(abort_reason(env, signal));
    return SignalLink::cancelled;
  }
  std::weak_ptr<TaskCore> weak = core;
  Napi::Function listener = Napi::Function::New(
      Napi::Env(env),
      [weak](const Napi::CallbackInfo& info) -> Napi::Value {
        std::shared_ptr<TaskCore> c = weak.lock();
        if (!c || c->settled || c->signal == nullptr) return info.Env().Undefined();
        napi_env e = info.Env();
        napi_value sig = nullptr;
        napi_get_reference_value(e, c->signal, &sig);
        c->cancel_js(abort_reason(e, sig));
        return info.Env().Undefined();
      },
      "napixTaskAbort");
  // The references first: a signal may call the listener before addEventListener returns.
  napi_create_reference(env, signal, 1, &core->signal);
  napi_create_reference(env, listener, 1, &core->listener);
  napi_value add = nullptr, type = nullptr, options = nullptr, yes = nullptr, ignored = nullptr;
  napi_status status = napi_get_named_property(env, signal, "addEventListener", &add);
  if (status == napi_ok) status = napi_create_string_utf8(env, "abort", NAPI_AUTO_LENGTH, &type);
  if (status == napi_ok) status = napi_create_object(env, &options);
  if (status == napi_ok) status = napi_get_boolean(env, true, &yes);
  if (status == napi_ok) status = napi_set_named_property(env, options, "once", yes);
  if (status == napi_ok) {
    napi_value argv[3] = {type, listener, options};
    status = napi_call_function(env, signal, add, 3, argv, &ignored);
  }
  napi_value thrown = take_pending_exception(env);
  if (core->settled) return SignalLink::cancelled;  // the listener ran while being added
  if (status != napi_ok) {
    *error = thrown;
    if (thrown == nullptr) *message = "napix::task: .signal(): could not add an abort listener";
    return SignalLink::failed;
  }
  aborted = abort_signal_state(env, signal);
  if (!aborted || *aborted) {  // aborted while adding, and the listener was not called
    core->cancel_js(abort_reason(env, signal));
    return SignalLink::cancelled;
  }
  return SignalLink::linked;
}

}  // namespace detail
}  // namespace napix
