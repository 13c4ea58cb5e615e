// napix/error.h — Status, Error, Result<T>, JsError and ClosingError: how napix reports failure
// across threads and in both exception modes.
#pragma once

#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "config.h"
#include "detail/visibility.h"

namespace napix {

/// What a fire-and-forget call (`send`, `call`, `try_call`) did with its closure.
enum class Status : unsigned char {
  ok,          ///< queued; it will run exactly once or be destroyed unrun at teardown
  queue_full,  ///< `try_*` on a bounded queue that is full; nothing was queued
  closing,     ///< the target is aborted, released or its environment is gone; nothing was queued
};

/// Thread: any.
constexpr const char* to_string(Status status) noexcept {
  switch (status) {
    case Status::ok: return "ok";
    case Status::queue_full: return "queue_full";
    case Status::closing: return "closing";
  }
  return "unknown";
}

/// A JavaScript error described in plain strings, so it can be made on any thread and turned into
/// a JS `Error` later on the JS thread. The error half of `Result<T>`.
struct Error {
  std::string name = "Error";  ///< "Error", "TypeError", "RangeError", "AbortError", or any name
  std::string message;
  std::string code;  ///< the JS `code` property (e.g. "ERR_OUT_OF_RANGE"); empty for none

  Error() = default;
  explicit Error(std::string msg) : message(std::move(msg)) {}
  Error(std::string error_name, std::string msg, std::string error_code = {})
      : name(std::move(error_name)), message(std::move(msg)), code(std::move(error_code)) {}

  /// A `TypeError`; `code` defaults to Node's own for a wrong argument type.
  static Error type_error(std::string msg, std::string error_code = "ERR_INVALID_ARG_TYPE") {
    return {"TypeError", std::move(msg), std::move(error_code)};
  }
  /// A `RangeError`; `code` defaults to Node's own for an out-of-range value.
  static Error range_error(std::string msg, std::string error_code = "ERR_OUT_OF_RANGE") {
    return {"RangeError", std::move(msg), std::move(error_code)};
  }

  friend bool operator==(const Error& a, const Error& b) {
    return a.name == b.name && a.message == b.message && a.code == b.code;
  }
  friend bool operator!=(const Error& a, const Error& b) { return !(a == b); }
};

/// A JavaScript exception carried to C++: name, message and stack copied as strings on the JS
/// thread, so the object can travel to and be read on any thread.
class JsError : public std::runtime_error {
 public:
  JsError(std::string name, std::string message, std::string stack = {}, std::string code = {})
      : std::runtime_error(name + ": " + message),
        name_(std::move(name)),
        message_(std::move(message)),
        stack_(std::move(stack)),
        code_(std::move(code)) {}

  /// Thread: any.
  const std::string& name() const noexcept { return name_; }
  /// Thread: any.
  const std::string& message() const noexcept { return message_; }
  /// Thread: any. Empty when the thrown value had no stack (e.g. `throw 42`).
  const std::string& stack() const noexcept { return stack_; }
  /// Thread: any. The thrown object's `code` property when it was a string, else empty.
  const std::string& code() const noexcept { return code_; }

  /// The same error as plain `Error` strings (drops the stack).
  Error to_error() const { return {name_, message_, code_}; }

  /// Copies a thrown JS value. Never throws and never leaves a JS exception pending: getters that
  /// throw are ignored. A non-object (`throw 42`) gives name "Error" and its string form.
  /// Thread: JS thread only.
  static JsError from_value(Napi::Value thrown);

 private:
  std::string name_, message_, stack_, code_;
};

/// The target environment is gone or going (process exit, `worker.terminate()`), or the handle
/// was aborted or released: the call was not and will not be made.
class ClosingError : public std::runtime_error {
 public:
  ClosingError() : std::runtime_error("napix: the JavaScript environment is closing") {}
  explicit ClosingError(const std::string& what) : std::runtime_error(what) {}
};

/// A call was refused because its bounded queue was full and it could not wait for room: a
/// `call_async`/`send_async` made on the JS thread itself (which is the only thread that drains
/// the queue, so waiting there would deadlock). Nothing was queued; nothing ran.
class QueueFullError : public std::runtime_error {
 public:
  QueueFullError() : std::runtime_error("napix: the queue is full (max_queue reached)") {}
  /// Thread: any. Also the JS `code` when the error reaches JS.
  const char* code() const noexcept;
};

/// A blocking call with a deadline (`send_sync_for`, `call_sync_for`) gave up: the call either
/// never started (and never will: it is destroyed unrun) or was running and its result is
/// discarded.
class TimeoutError : public std::runtime_error {
 public:
  TimeoutError() : std::runtime_error("napix: the call timed out") {}
  /// Thread: any. `"ERR_NAPIX_TIMEOUT"`, also the JS `code` when the error reaches JS.
  const char* code() const noexcept;
};

/// Holds a T or an `Error`. Returned where the exceptions-off build cannot throw, and accepted from
/// task `execute` functions in both modes. Converts implicitly from a T or an `Error`, so
/// `return napix::Error::range_error("too big");` works in a function returning `Result<int>`.
template <class T>
class Result {
  static_assert(!std::is_reference_v<T>, "napix::Result<T&> is not supported; use a pointer");
  static_assert(!std::is_same_v<std::decay_t<T>, Error>, "napix::Result<Error> is ambiguous");

 public:
  using value_type = T;

  template <class U = T,
            std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                 !std::is_same_v<std::decay_t<U>, Error> &&
                                 !std::is_same_v<std::decay_t<U>, Result>,
                             int> = 0>
  Result(U&& value) : v_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT implicit
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}      // NOLINT implicit

  /// Thread: any.
  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  /// The value. Calling it on an error is a bug: `std::logic_error`, or a fatal error without
  /// exceptions. Thread: any.
  T& value() & { check(); return *std::get_if<0>(&v_); }
  const T& value() const& { check(); return *std::get_if<0>(&v_); }
  T&& value() && { check(); return std::move(*std::get_if<0>(&v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error. Calling it on a value is a bug (as for `value()`). Thread: any.
  const Error& error() const& { check_error(); return *std::get_if<1>(&v_); }
  Error&& error() && { check_error(); return std::move(*std::get_if<1>(&v_)); }

 private:
  void check() const;
  void check_error() const;
  std::variant<T, Error> v_;
};

/// `Result<void>`: success or an `Error`. Default-constructed it is success.
template <>
class Result<void> {
 public:
  using value_type = void;
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT implicit

  bool ok() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  void value() const;
  const Error& error() const&;
  Error&& error() &&;

 private:
  std::optional<Error> error_;
};

namespace detail {
template <class T> struct is_result : std::false_type {};
template <class T> struct is_result<Result<T>> : std::true_type {};

[[noreturn]] inline void misuse(const char* message) {
#if NAPIX_EXCEPTIONS
  throw std::logic_error(message);
#else
  fatal("napix", message);
#endif
}
}  // namespace detail

/// True for `napix::Result<T>` of any T.
template <class T>
NAPIX_LOCAL inline constexpr bool is_result_v = detail::is_result<std::decay_t<T>>::value;

/// "T or an error" in this build: `R` with C++ exceptions on (the error is thrown), `Result<R>`
/// with them off. What every napix function the docs say "throws" returns: `from_js<T>`,
/// `send_sync`, `call_sync<R>`; `send_async`/`call_async<R>` return a `std::future<Fallible<R>>`.
template <class R>
using Fallible = std::conditional_t<NAPIX_EXCEPTIONS != 0, R, Result<R>>;

/// The `code` of the `Error` an exceptions-off build reports for a closing target (`ClosingError`
/// with exceptions on).
NAPIX_LOCAL inline constexpr const char* kClosingCode = "ERR_NAPIX_CLOSING";
/// The `code` of the `Error` reported for a call refused by a full bounded queue
/// (`QueueFullError::code()` with exceptions on).
NAPIX_LOCAL inline constexpr const char* kQueueFullCode = "ERR_NAPIX_QUEUE_FULL";
/// The `code` of the `Error` an exceptions-off build reports for a blocking call made on the JS
/// thread (it would deadlock; `std::logic_error` with exceptions on).
NAPIX_LOCAL inline constexpr const char* kWouldDeadlockCode = "ERR_NAPIX_WOULD_DEADLOCK";
/// The `code` of a `TimeoutError` (exceptions off: of the `Error` a timed-out call returns).
NAPIX_LOCAL inline constexpr const char* kTimeoutCode = "ERR_NAPIX_TIMEOUT";
/// The `name` of the JS Error a `TimeoutError` becomes.
NAPIX_LOCAL inline constexpr const char* kTimeoutErrorName = "TimeoutError";
/// The name, message and code of the Error a cancelled task's promise rejects with (Node's own).
NAPIX_LOCAL inline constexpr const char* kAbortErrorName = "AbortError";
NAPIX_LOCAL inline constexpr const char* kAbortErrorMessage = "The operation was aborted";
NAPIX_LOCAL inline constexpr const char* kAbortErrorCode = "ABORT_ERR";

/// The JS error object for `error`: a `TypeError`/`RangeError`/`Error` by `name` (any other name is
/// an `Error` whose `name` property is set), with `code` set when not empty. Thread: JS thread only.
Napi::Error to_js_error(Napi::Env env, const Error& error);

/// Throws `error` as a JS exception: `throw Napi::Error` with exceptions on; otherwise makes it the
/// pending JS exception, unless one is already pending (the first error wins).
/// Thread: JS thread only.
void throw_js(Napi::Env env, const Error& error);

// ---------------------------------------------------------------------------------------------
// Definitions

inline const char* QueueFullError::code() const noexcept { return kQueueFullCode; }
inline const char* TimeoutError::code() const noexcept { return kTimeoutCode; }

template <class T>
void Result<T>::check() const {
  if (!ok()) detail::misuse("napix::Result::value() called on a Result holding an error");
}
template <class T>
void Result<T>::check_error() const {
  if (ok()) detail::misuse("napix::Result::error() called on a Result holding a value");
}
inline void Result<void>::value() const {
  if (!ok()) detail::misuse("napix::Result::value() called on a Result holding an error");
}
inline const Error& Result<void>::error() const& {
  if (ok()) detail::misuse("napix::Result::error() called on a Result holding a value");
  return *error_;
}
inline Error&& Result<void>::error() && {
  if (ok()) detail::misuse("napix::Result::error() called on a Result holding a value");
  return std::move(*error_);
}

namespace detail {

/// The pending JS exception, cleared; null when none is pending. The one way napix takes or
/// drops a pending exception. Thread: JS thread only.
inline napi_value take_pending_exception(napi_env env) noexcept {
  bool pending = false;
  napi_value thrown = nullptr;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_get_and_clear_last_exception(env, &thrown);
  }
  return thrown;
}

/// Drops the pending JS exception, if any (a C++ exception already carries the error, or the
/// failure is reported another way). Thread: JS thread only.
inline void clear_pending_js_error(napi_env env) noexcept { take_pending_exception(env); }

// Reads a property as a UTF-8 string without ever leaving a JS exception pending (a throwing
// getter or a Proxy trap yields `fallback`). Thread: JS thread only.
inline std::string property_string(napi_env env, napi_value object, const char* key,
                                   const std::string& fallback, bool must_be_string = false) {
  napi_value value;
  if (napi_get_named_property(env, object, key, &value) != napi_ok) {
    clear_pending_js_error(env);
    return fallback;
  }
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type == napi_undefined) return fallback;
  if (must_be_string && type != napi_string) return fallback;
  if (type != napi_string && napi_coerce_to_string(env, value, &value) != napi_ok) {
    clear_pending_js_error(env);
    return fallback;
  }
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, nullptr, 0, &length) != napi_ok) return fallback;
  std::string out(length, '\0');
  napi_get_value_string_utf8(env, value, out.data(), length + 1, &length);
  return out;
}

inline std::string coerce_string(napi_env env, napi_value value, const std::string& fallback) {
  napi_value str;
  if (napi_coerce_to_string(env, value, &str) != napi_ok) {
    clear_pending_js_error(env);
    return fallback;
  }
  size_t length = 0;
  if (napi_get_value_string_utf8(env, str, nullptr, 0, &length) != napi_ok) return fallback;
  std::string out(length, '\0');
  napi_get_value_string_utf8(env, str, out.data(), length + 1, &length);
  return out;
}

}  // namespace detail

inline JsError JsError::from_value(Napi::Value thrown) {
  napi_env env = thrown.Env();
  napi_value value = thrown;
  napi_valuetype type = napi_undefined;
  if (value == nullptr || napi_typeof(env, value, &type) != napi_ok) {
    return JsError("Error", "unknown JavaScript exception");
  }
  if (type != napi_object && type != napi_function) {
    // `throw 42` / `throw "text"`: there is no name or stack to copy.
    return JsError("Error", detail::coerce_string(env, value, "unknown JavaScript exception"));
  }
  std::string name = detail::property_string(env, value, "name", "Error");
  std::string message = detail::property_string(env, value, "message", "");
  std::string stack = detail::property_string(env, value, "stack", "");
  std::string code = detail::property_string(env, value, "code", "", /*must_be_string=*/true);
  return JsError(std::move(name), std::move(message), std::move(stack), std::move(code));
}

inline Napi::Error to_js_error(Napi::Env env, const Error& error) {
  napi_value message, code = nullptr, result = nullptr;
  napi_status status =
      napi_create_string_utf8(env, error.message.data(), error.message.size(), &message);
  if (status == napi_ok && !error.code.empty()) {
    status = napi_create_string_utf8(env, error.code.data(), error.code.size(), &code);
  }
  if (status == napi_ok) {
    if (error.name == "TypeError") {
      status = napi_create_type_error(env, code, message, &result);
    } else if (error.name == "RangeError") {
      status = napi_create_range_error(env, code, message, &result);
    } else {
      status = napi_create_error(env, code, message, &result);
      if (status == napi_ok && error.name != "Error") {
        napi_value name;
        if (napi_create_string_utf8(env, error.name.data(), error.name.size(), &name) == napi_ok) {
          napi_set_named_property(env, result, "name", name);
        }
      }
    }
  }
  if (status != napi_ok || result == nullptr) return Napi::Error();
  return Napi::Error(env, result);
}

inline void throw_js(Napi::Env env, const Error& error) {
#if NAPIX_EXCEPTIONS
  throw to_js_error(env, error);
#else
  if (env.IsExceptionPending()) return;
  Napi::Error js = to_js_error(env, error);
  if (!js.IsEmpty()) js.ThrowAsJavaScriptException();
#endif
}

}  // namespace napix
