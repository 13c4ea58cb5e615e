// napix/promise.h — promise() -> (Deferred, Napi::Promise), a Deferred that can be moved to and
// destroyed on any thread and never leaks an unsettled promise, and to_future: a native thread
// waiting on a JS promise (Neon's JsPromise RFC). Channel::settle_with is in channel.h.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "channel.h"
#include "convert.h"
#include "detail/env.h"
#include "detail/outcome.h"
#include "detail/thenable.h"
#include "detail/visibility.h"

namespace napix {

/// The `code` of the Error a Deferred destroyed unsettled rejects its promise with.
NAPIX_LOCAL inline constexpr const char* kDeferredDroppedCode = "ERR_NAPIX_DEFERRED_DROPPED";

class Deferred;

/// A new promise and the Deferred that settles it (Neon's `cx.promise()`).
/// Thread: JS thread only.
std::pair<Deferred, Napi::Promise> promise(Napi::Env env);

/// The settling half of a promise. Move-only; may be moved to and destroyed on any thread, but
/// settled only on its environment's JS thread (from another thread use `Channel::settle_with`).
/// Destroyed unsettled — anywhere, any time — it rejects its promise with an Error whose `code` is
/// `"ERR_NAPIX_DEFERRED_DROPPED"` (on the JS thread at once, from another thread through napix's
/// internal Channel; once the environment is gone there is no one left to tell).
class Deferred {
 public:
  /// An empty Deferred (`settled()` is true). Thread: any.
  Deferred() noexcept = default;
  Deferred(Deferred&& other) noexcept
      : deferred_(std::exchange(other.deferred_, nullptr)), env_id_(other.env_id_) {}
  Deferred& operator=(Deferred&& other) noexcept;
  Deferred(const Deferred&) = delete;
  Deferred& operator=(const Deferred&) = delete;
  /// Rejects an unsettled promise (see the class comment). Thread: any.
  ~Deferred() {
    if (deferred_ != nullptr) drop();  // inline test: most Deferreds die moved-from or settled
  }

  /// Resolves with `value`: a `Napi::Value` or anything `to_js` takes. Thread: JS thread only.
  /// Errors: settling twice or off the JS thread is a bug: `std::logic_error` (exceptions off: a
  /// fatal error naming the misuse).
  template <class T>
  void resolve(T&& value);
  /// Resolves with `undefined`. Thread: JS thread only.
  void resolve();

  /// Rejects with `value`: a `Napi::Value`, a `Napi::Error`, a `napix::Error`, a message string
  /// (made into an `Error`), or anything `to_js` takes. Thread: JS thread only.
  template <class T>
  void reject(T&& value);

  /// Resolves with `f(Napi::Env)`'s result converted by `to_js` (`void` resolves `undefined`; a
  /// `Result<T>` error rejects), or rejects with what `f` throws (C++ or JS exception) or leaves
  /// pending. Thread: JS thread only.
  template <class F>
  void settle_with(F&& f);

  /// True once settled (or empty). Thread: any.
  bool settled() const noexcept { return deferred_ == nullptr; }

 private:
  friend std::pair<Deferred, Napi::Promise> promise(Napi::Env env);
  Deferred(napi_deferred d, std::uint64_t env_id) noexcept : deferred_(d), env_id_(env_id) {}

  napi_env js_env(const char* what) const;
  void conclude(napi_env env, napi_value value, bool resolved);
  void drop() noexcept;

  // Two words, so a Deferred plus a pointer-sized closure is stored inline in a Channel's queue.
  // No shared ownership (no atomics on the hot path): the environment is named by a
  // process-unique id (a napi_env address may be reused), found through a thread-local cache on
  // its JS thread and in napix's registry elsewhere.
  napi_deferred deferred_ = nullptr;
  std::uint64_t env_id_ = 0;
};

/// A future that completes when `thenable` settles: its value converted by `from_js<R>`, a
/// rejection as `JsError`, the environment torn down first as `ClosingError`. A value that is not
/// a thenable completes it at once. Exceptions off: a future of `Result<R>`. Thread: JS thread only.
template <class R>
std::future<Fallible<R>> to_future(Napi::Value thenable);

namespace detail {

inline Napi::Value dropped_error(napi_env env) {
  return to_js_error(Napi::Env(env),
                     Error("Error", "napix: a Deferred was destroyed without settling its promise",
                           kDeferredDroppedCode))
      .Value();
}

template <class T>
napi_value rejection_value(napi_env env, T&& value) {
  using D = std::decay_t<T>;
  if constexpr (std::is_base_of_v<Napi::Error, D>) {
    return value.Value();
  } else if constexpr (std::is_same_v<D, Error>) {
    return to_js_error(Napi::Env(env), value).Value();
  } else if constexpr (std::is_same_v<D, std::string> || std::is_same_v<D, std::string_view> ||
                       std::is_same_v<D, const char*> || std::is_same_v<D, char*> ||
                       (std::is_array_v<std::remove_reference_t<T>> &&
                        std::is_same_v<std::remove_extent_t<std::remove_reference_t<T>>, const char>)) {
    return to_js_error(Napi::Env(env), Error(std::string(value))).Value();
  } else {
    return napix::to_js(Napi::Env(env), std::forward<T>(value));
  }
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Definitions

inline std::pair<Deferred, Napi::Promise> promise(Napi::Env env) {
  napi_deferred d = nullptr;
  napi_value p = nullptr;
  napi_status s = napi_create_promise(env, &d, &p);
  if (s != napi_ok) {
    NAPI_THROW_IF_FAILED(env, s, (std::pair<Deferred, Napi::Promise>()));
    return {};
  }
  return {Deferred(d, detail::env_entry(env).id()), Napi::Promise(env, p)};
}

inline Deferred& Deferred::operator=(Deferred&& other) noexcept {
  if (this != &other) {
    drop();
    deferred_ = std::exchange(other.deferred_, nullptr);
    env_id_ = other.env_id_;
  }
  return *this;
}

// Settling is the JS thread's business; `what` names the misuse when the Deferred is already
// settled. Returns the environment to settle in.
inline napi_env Deferred::js_env(const char* what) const {
  if (deferred_ == nullptr) detail::misuse(what);
  napi_env env = detail::js_env_of(env_id_);
  if (env == nullptr) {
    detail::misuse("napix::Deferred settled off its JavaScript thread; use Channel::settle_with");
  }
  return env;
}

inline void Deferred::conclude(napi_env env, napi_value value, bool resolved) {
  napi_deferred d = std::exchange(deferred_, nullptr);
  napi_status s = resolved ? napi_resolve_deferred(env, d, value) : napi_reject_deferred(env, d, value);
  NAPI_THROW_IF_FAILED_VOID(env, s);
}

template <class T>
void Deferred::resolve(T&& value) {
  napi_env env = js_env("napix::Deferred settled twice (resolve on a settled Deferred)");
  napi_value v = napix::to_js(Napi::Env(env), std::forward<T>(value));
  if (v == nullptr) return;  // exceptions off: the conversion left its JS exception pending
  conclude(env, v, true);
}

inline void Deferred::resolve() {
  napi_env env = js_env("napix::Deferred settled twice (resolve on a settled Deferred)");
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  conclude(env, undefined, true);
}

template <class T>
void Deferred::reject(T&& value) {
  napi_env env = js_env("napix::Deferred settled twice (reject on a settled Deferred)");
  napi_value v = detail::rejection_value(env, std::forward<T>(value));
  if (v == nullptr) return;
  conclude(env, v, false);
}

template <class F>
void Deferred::settle_with(F&& f) {
  napi_env env = js_env("napix::Deferred settled twice (settle_with on a settled Deferred)");
  Napi::Env e(env);
  using R = std::invoke_result_t<F&, Napi::Env>;
  // What f produced, as a JS value, or the JS error to reject with.
  napi_value value = nullptr;
  bool ok = true;
  NAPIX_TRY {
    if constexpr (std::is_void_v<R>) {
      f(e);
      napi_get_undefined(env, &value);
    } else if constexpr (is_result_v<R>) {
      R r = f(e);
      if (!r) {
        ok = false;
        value = to_js_error(e, r.error()).Value();
      } else if constexpr (std::is_void_v<typename R::value_type>) {
        napi_get_undefined(env, &value);
      } else {
        value = napix::to_js(e, std::move(r).value());
      }
    } else {
      value = napix::to_js(e, f(e));
    }
  }
  NAPIX_CATCH(...) {
    ok = false;
    value = detail::caught_js_error(env);
  }
  if (napi_value thrown = detail::take_pending_exception(env)) {
    value = thrown;  // f (or a conversion) left a JS exception: that is the rejection
    ok = false;
  }
  if (value == nullptr) napi_get_undefined(env, &value);
  conclude(env, value, ok);
}

inline void Deferred::drop() noexcept {
  if (deferred_ == nullptr) return;
  napi_deferred d = std::exchange(deferred_, nullptr);
  if (napi_env env = detail::js_env_of(env_id_)) {
    // During teardown JS can no longer run and Node cannot reject: nobody can observe the
    // promise any more (Node keeps the deferred's small handle; it has no API to free it).
    if (!detail::can_run_js(env)) return;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    napi_reject_deferred(env, d, detail::dropped_error(env));
    napi_close_handle_scope(env, scope);
    return;
  }
  // Another thread: reject on the JS thread through napix's internal Channel.
  std::shared_ptr<detail::EnvEntry> entry = detail::find_env(env_id_);
  if (!entry) return;  // the environment is gone
  detail::send_to(entry->channel().get(), [d](Napi::Env env) {
    napi_reject_deferred(env, d, detail::dropped_error(env));
  }, true);
}

template <class R>
std::future<Fallible<R>> to_future(Napi::Value thenable) {
  detail::PromiseSlot<R> slot;
  std::future<Fallible<R>> future = slot.get_future();
  detail::when_settled(thenable.Env(), thenable,
                       [slot = std::move(slot)](napi_env env, bool ok, napi_value v) mutable {
                         if (env == nullptr) return;  // never settled: the slot reports closing
                         slot.complete(detail::settled_outcome<R>(env, ok, v));
                       });
  return future;
}

}  // namespace napix
