// napix/convert.h — to_js / from_js between C++ values and JavaScript values, and the
// napix::Converter<T> extension point. doc/convert.md has the full mapping table.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "config.h"
#include "detail/js_value.h"
#include "detail/numeric.h"
#include "detail/path.h"
#include "detail/traits.h"
#include "detail/visibility.h"
#include "error.h"

namespace napix {

/// The extension point: specialize it for your type with
///   static Napi::Value to_js(Napi::Env env, const T& value);
///   static std::optional<T> from_js(Napi::Value value, napix::ConvertContext& cx);
/// (either may be left out when that direction is not needed). See doc/convert.md.
template <class T, class Enable = void>
struct Converter {
  static_assert(detail::always_false_v<T>,
                "napix::Converter<T> is not specialized for this type; specialize "
                "napix::Converter<T> with static to_js/from_js — see doc/convert.md");
};

/// The old name of `Fallible<T>` (error.h), kept for code written against napix 0.1.
template <class T>
using FromJsResult [[deprecated("use napix::Fallible<T>")]] = Fallible<T>;

/// `value` as a JS value. A failing Node-API call throws its `Napi::Error` (exceptions off: the
/// JS exception is left pending and an empty `Napi::Value` is returned).
/// Thread: JS thread only.
template <class T>
Napi::Value to_js(Napi::Env env, T&& value);

/// `undefined`: what a `void` result becomes. Thread: JS thread only.
inline Napi::Value to_js(Napi::Env env) {
  return env.Undefined();
}

/// Bounds on how much one `from_js` reads, checked before any element is read, so a hostile value
/// (`a = []; a.length = 2 ** 32 - 1`) fails in microseconds with a RangeError instead of looping on
/// the JS thread for minutes. Set them for one conversion (`from_js<T>(value, limits)`) or for all
/// (`set_convert_limits`). See doc/convert.md, "Limits".
struct ConvertLimits {
  /// 2^24: a 16 Mi-element array is 128 MiB as a std::vector<double>; anything longer fails at
  /// once (the longest accepted array of holes takes ~4 s: lower it where that is too long).
  NAPIX_LOCAL static constexpr std::uint32_t kDefaultMaxElements = std::uint32_t{1} << 24;

  /// Most elements of one array (std::vector, a byte vector read from an Array) and most own
  /// enumerable keys of one object (std::map, std::unordered_map). Typed arrays are copied, not
  /// looped over, and have no limit.
  std::uint32_t max_elements = kDefaultMaxElements;
};

namespace detail {
// One per addon (every translation unit of it shares it; detail/visibility.h).
NAPIX_LOCAL inline std::atomic<std::uint32_t>& global_max_elements() noexcept {
  static std::atomic<std::uint32_t> value{ConvertLimits::kDefaultMaxElements};
  return value;
}
}  // namespace detail

/// The limits a conversion gets when none are given. Thread: any.
inline ConvertLimits convert_limits() noexcept {
  ConvertLimits limits;
  limits.max_elements = detail::global_max_elements().load(std::memory_order_relaxed);
  return limits;
}

/// Sets the limits of every later conversion that is given none, for this addon (each shared
/// object has its own) on every thread and environment. Thread: any.
inline void set_convert_limits(const ConvertLimits& limits) noexcept {
  detail::global_max_elements().store(limits.max_elements, std::memory_order_relaxed);
}

/// `value` as a T. Errors: a `TypeError` (code ERR_INVALID_ARG_TYPE) for a wrong JS type, a
/// `RangeError` (ERR_OUT_OF_RANGE) for a value T cannot hold; a JS exception thrown while reading
/// `value` (a getter, a Proxy trap) propagates as is. Exceptions off: returns `Result<T>` and
/// leaves only such a JS exception pending. `T = void` accepts anything. Thread: JS thread only.
template <class T>
Fallible<T> from_js(Napi::Value value);
/// `from_js` with these limits instead of `convert_limits()`. Thread: JS thread only.
template <class T>
Fallible<T> from_js(Napi::Value value, const ConvertLimits& limits);

/// `from_js` that never throws and never leaves a JS exception pending, in both modes: any failure,
/// including a JS exception (copied as name, message and code), is the `Result`'s error.
/// Thread: JS thread only.
template <class T>
Result<T> try_from_js(Napi::Value value);
/// `try_from_js` with these limits instead of `convert_limits()`. Thread: JS thread only.
template <class T>
Result<T> try_from_js(Napi::Value value, const ConvertLimits& limits);

/// The state of one `from_js` call: where in the value it is (for error messages) and the first
/// failure. `Converter<T>::from_js` records a failure here and returns `std::nullopt`.
class ConvertContext {
 public:
  /// More `convert` calls nested inside each other than this fail with a RangeError instead of
  /// exhausting the C++ stack (a recursive user converter fed a cyclic object). Every `convert`,
  /// `field` and `element` is one level, whether or not it adds a path step.
  NAPIX_LOCAL static constexpr std::size_t kMaxDepth = 1000;

  /// Thread: JS thread only.
  explicit ConvertContext(Napi::Env env, ConvertLimits limits = convert_limits())
      : env_(env), limits_(limits) {}
  ConvertContext(const ConvertContext&) = delete;
  ConvertContext& operator=(const ConvertContext&) = delete;

  /// Thread: JS thread only.
  Napi::Env env() const noexcept { return env_; }
  /// The limits this conversion checks. Thread: any.
  const ConvertLimits& limits() const noexcept { return limits_; }
  /// How many `convert` calls are running, this one included (0 outside any). Thread: any.
  std::size_t depth() const noexcept { return depth_; }

  /// True when `count` elements (or keys) are within `limits().max_elements`; otherwise records a
  /// RangeError `expected <what> of at most <max> <unit>, got <count> <unit>` and returns false.
  /// Call it before reading a container's elements. Thread: JS thread only.
  bool check_count(std::uint32_t count, std::string_view what, std::string_view unit);

  /// `value` converted by `Converter<T>`, at the current path. nullopt after a failure.
  /// Thread: JS thread only.
  template <class T>
  std::optional<T> convert(Napi::Value value);
  /// `object[key]` converted to T, with `key` on the path (`expected number at x, got string`).
  /// Fails with a TypeError when `object` is not an object. Thread: JS thread only.
  template <class T>
  std::optional<T> field(Napi::Value object, std::string_view key);
  /// `array[index]` converted to T, with `[index]` on the path. Thread: JS thread only.
  template <class T>
  std::optional<T> element(Napi::Value array, std::uint32_t index);

  /// Records a TypeError (ERR_INVALID_ARG_TYPE) `expected <expected> at <path>, got <type of
  /// received>`; returns std::nullopt so `return cx.fail_type("object", value);` reads well.
  /// Thread: JS thread only.
  std::nullopt_t fail_type(std::string_view expected, Napi::Value received);
  /// Records a RangeError (ERR_OUT_OF_RANGE); numbers and BigInts are shown by value (`got 256`,
  /// `got NaN`, `got 18446744073709551616n`), anything else by type. Thread: JS thread only.
  std::nullopt_t fail_range(std::string_view expected, Napi::Value received);
  /// Records any error as is (build the message with `message()` to keep the format).
  /// Thread: JS thread only.
  std::nullopt_t fail(Error error);
  /// Records a failed Node-API call: the pending JS exception when there is one (it propagates
  /// unchanged), else an Error from the call's error info. Thread: JS thread only.
  std::nullopt_t fail_status(napi_status status);
  /// True for napi_ok; otherwise `fail_status(status)` and false. Thread: JS thread only.
  bool check(napi_status status) { return status == napi_ok || (fail_status(status), false); }

  /// `expected <expected>[ at <path>], got <received>` for the current path. Thread: any.
  std::string message(std::string_view expected, std::string_view received) const {
    return detail::format_failure(expected, path(), received);
  }
  /// The current path, e.g. `[2].size`; empty at the top. Thread: any.
  std::string path() const { return detail::format_path(path_); }
  /// The received-type word of messages: undefined, null, boolean, number, string, symbol, bigint,
  /// function, external, array, Uint8Array (and the other typed arrays), ArrayBuffer,
  /// SharedArrayBuffer, DataView, Date, Promise or object. Thread: JS thread only.
  std::string describe(Napi::Value value) const;

  /// Keeps a path step for its lifetime (for converters that read values themselves).
  class PathScope {
   public:
    PathScope(const PathScope&) = delete;
    PathScope& operator=(const PathScope&) = delete;
    ~PathScope() { cx_.path_.pop_back(); }

   private:
    friend class ConvertContext;
    PathScope(ConvertContext& cx, detail::PathSegment segment) : cx_(cx) {
      cx_.path_.push_back(segment);
    }
    ConvertContext& cx_;
  };
  /// Lifetime: `key` must outlive the returned scope. Thread: any.
  PathScope push_key(std::string_view key) { return PathScope(*this, {key, 0, false}); }
  /// Thread: any.
  PathScope push_index(std::uint32_t index) { return PathScope(*this, {{}, index, true}); }

  /// True once a failure is recorded; later conversions return nullopt at once. Thread: any.
  bool failed() const noexcept { return failure_ != Failure::none; }
  /// The failure as an `Error`, clearing a pending JS exception into it unless `keep_pending`.
  /// Thread: JS thread only.
  Error take_error(bool keep_pending);
  /// Throws the failure: the pending JS exception, or the recorded Error. Thread: JS thread only.
  [[noreturn]] void throw_failure();

  /// Object.prototype of the current realm, taken from a fresh object so that a script replacing
  /// `globalThis.Object` cannot change what counts as a plain object. nullptr after a failure.
  /// Thread: JS thread only.
  napi_value object_prototype();

 private:
  enum class Failure : unsigned char { none, error, js_exception };

  Napi::Env env_;
  ConvertLimits limits_;
  std::size_t depth_ = 0;
  std::vector<detail::PathSegment> path_;
  Failure failure_ = Failure::none;
  Error error_;
  napi_value object_prototype_ = nullptr;
};

namespace detail {

template <class C, class Arg>
using to_js_op = decltype(C::to_js(std::declval<Napi::Env>(), std::declval<Arg>()));
template <class C>
using from_js_op =
    decltype(C::from_js(std::declval<Napi::Value>(), std::declval<ConvertContext&>()));

template <class T>
constexpr bool check_from_js_type() {
  if constexpr (std::is_same_v<T, std::string_view> || std::is_same_v<T, std::u16string_view>) {
    static_assert(always_false_v<T>,
                  "napix::from_js<std::string_view>: a view cannot own the characters; use "
                  "std::string");
  } else if constexpr (std::is_same_v<T, const char*> || std::is_same_v<T, char*>) {
    static_assert(always_false_v<T>,
                  "napix::from_js<const char*>: a pointer cannot own the characters; use "
                  "std::string");
  } else if constexpr (!std::is_same_v<T, remove_cvref_t<T>>) {
    static_assert(always_false_v<T>,
                  "napix::from_js<T>: T must be a plain type, not a "
                  "reference or const; use from_js<std::decay_t<T>>");
  } else if constexpr (!is_detected_v<from_js_op, Converter<T>>) {
    static_assert(always_false_v<T>,
                  "napix::Converter<T> has no from_js; add static std::optional<T> "
                  "from_js(Napi::Value, napix::ConvertContext&) — see doc/convert.md");
  } else {
    return true;
  }
  return false;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Built-in converters (see doc/convert.md for the table)

/// bool ↔ boolean (strict: no truthiness); every integer and floating type ↔ number. Integers are
/// range-checked, 64-bit ones also accept BigInt and become a BigInt beyond ±(2^53 - 1).
template <class T>
struct Converter<T, std::enable_if_t<std::is_arithmetic_v<T>>> {
  static_assert(
      sizeof(T) <= 8 || std::is_floating_point_v<T>,
      "napix converts integers of at most 64 bits; specialize napix::Converter for wider");
  // Marks napix's own number conversion: streams may then move a batch of these as one
  // Float64Array; a user's own Converter<double> (a full specialization) lacks it and is honoured.
  NAPIX_LOCAL static constexpr bool napix_builtin_number = true;
  // napix's own, running no JavaScript and no user code: a stream may convert these inside the
  // iterator's next(), in the reader's async context (detail/stream_core.h, kPullable).
  NAPIX_LOCAL static constexpr bool napix_runs_no_js = true;

  static Napi::Value to_js(Napi::Env env, T value) {
    napi_value out = nullptr;
    napi_status status;
    if constexpr (std::is_same_v<T, bool>) {
      status = napi_get_boolean(env, value, &out);
    } else if constexpr (std::is_floating_point_v<T>) {
      status = napi_create_double(env, static_cast<double>(value), &out);
    } else if constexpr (!detail::is_wide_integer_v<T>) {
      status = std::is_signed_v<T>
                   ? napi_create_int32(env, static_cast<std::int32_t>(value), &out)
                   : napi_create_uint32(env, static_cast<std::uint32_t>(value), &out);
    } else if (detail::is_safe_integer(value)) {
      status = napi_create_double(env, static_cast<double>(value), &out);
    } else if constexpr (std::is_signed_v<T>) {
      status = napi_create_bigint_int64(env, static_cast<std::int64_t>(value), &out);
    } else {
      status = napi_create_bigint_uint64(env, static_cast<std::uint64_t>(value), &out);
    }
    return detail::made(env, status, &out);
  }

  static std::optional<T> from_js(Napi::Value value, ConvertContext& cx) {
    napi_env env = cx.env();
    napi_valuetype type;
    if (!cx.check(napi_typeof(env, value, &type))) return std::nullopt;
    if constexpr (std::is_same_v<T, bool>) {
      bool result = false;
      if (type != napi_boolean) return cx.fail_type("boolean", value);
      if (!cx.check(napi_get_value_bool(env, value, &result))) return std::nullopt;
      return result;
    } else {
      if constexpr (detail::is_wide_integer_v<T>) {
        if (type == napi_bigint) return from_bigint(value, cx);
        if (type != napi_number) return cx.fail_type("number or bigint", value);
      } else if (type != napi_number) {
        return cx.fail_type("number", value);
      }
      double number = 0;
      if (!cx.check(napi_get_value_double(env, value, &number))) return std::nullopt;
      if constexpr (std::is_same_v<T, float>) {
        std::optional<float> result = detail::checked_float(number);
        if (!result) return cx.fail_range("number within float range", value);
        return result;
      } else if constexpr (std::is_floating_point_v<T>) {
        return static_cast<T>(number);
      } else {
        std::optional<T> result = detail::checked_integer<T>(number);
        if (!result) return cx.fail_range(detail::integer_range_text<T>(), value);
        return result;
      }
    }
  }

 private:
  static std::optional<T> from_bigint(Napi::Value value, ConvertContext& cx) {
    bool lossless = false;
    if constexpr (std::is_signed_v<T>) {
      std::int64_t result = 0;
      if (!cx.check(napi_get_value_bigint_int64(cx.env(), value, &result, &lossless))) return {};
      if (!lossless) return cx.fail_range(detail::integer_range_text<T>(), value);
      return static_cast<T>(result);
    } else {
      std::uint64_t result = 0;
      if (!cx.check(napi_get_value_bigint_uint64(cx.env(), value, &result, &lossless))) return {};
      if (!lossless) return cx.fail_range(detail::integer_range_text<T>(), value);
      return static_cast<T>(result);
    }
  }
};

/// std::string ↔ string, as UTF-8. Lone surrogates read as U+FFFD; invalid UTF-8 written to JS
/// becomes U+FFFD too.
template <>
struct Converter<std::string> {
  // napix's own, running no JavaScript and no user code: a stream may convert these inside the
  // iterator's next(), in the reader's async context (detail/stream_core.h, kPullable).
  NAPIX_LOCAL static constexpr bool napix_runs_no_js = true;
  static Napi::Value to_js(Napi::Env env, const std::string& value) {
    return detail::string_to_js(env, value.data(), value.size());
  }
  static std::optional<std::string> from_js(Napi::Value value, ConvertContext& cx) {
    napi_valuetype type;
    if (!cx.check(napi_typeof(cx.env(), value, &type))) return std::nullopt;
    if (type != napi_string) return cx.fail_type("string", value);
    std::size_t length = 0;
    if (!cx.check(napi_get_value_string_utf8(cx.env(), value, nullptr, 0, &length))) return {};
    std::string out(length, '\0');
    // The buffer includes the terminator slot std::string keeps after size().
    if (length > 0 &&
        !cx.check(napi_get_value_string_utf8(cx.env(), value, out.data(), length + 1, &length))) {
      return std::nullopt;
    }
    out.resize(length);
    return out;
  }
};

/// std::string_view → string (to JS only: a view cannot own what it reads; use std::string).
template <>
struct Converter<std::string_view> {
  static Napi::Value to_js(Napi::Env env, std::string_view value) {
    return detail::string_to_js(env, value.data(), value.size());
  }
};

/// const char* → string up to the first NUL; a null pointer → null. To JS only.
template <>
struct Converter<const char*> {
  static Napi::Value to_js(Napi::Env env, const char* value) {
    if (value == nullptr) return env.Null();
    return detail::string_to_js(env, value, std::char_traits<char>::length(value));
  }
};
template <>
struct Converter<char*> : Converter<const char*> {};

/// char arrays and string literals → string up to the first NUL (or all N chars). To JS only.
template <std::size_t N>
struct Converter<char[N]> {
  static Napi::Value to_js(Napi::Env env, const char (&value)[N]) {
    std::size_t length = 0;
    while (length < N && value[length] != '\0') ++length;
    return detail::string_to_js(env, value, length);
  }
};

/// std::u16string ↔ string, as UTF-16 code units: exact, lone surrogates included.
template <>
struct Converter<std::u16string> {
  // napix's own, running no JavaScript and no user code: a stream may convert these inside the
  // iterator's next(), in the reader's async context (detail/stream_core.h, kPullable).
  NAPIX_LOCAL static constexpr bool napix_runs_no_js = true;
  static Napi::Value to_js(Napi::Env env, std::u16string_view value) {
    napi_value out = nullptr;
    return detail::made(
        env, napi_create_string_utf16(env, value.empty() ? u"" : value.data(), value.size(), &out),
        &out);
  }
  static std::optional<std::u16string> from_js(Napi::Value value, ConvertContext& cx) {
    napi_valuetype type;
    if (!cx.check(napi_typeof(cx.env(), value, &type))) return std::nullopt;
    if (type != napi_string) return cx.fail_type("string", value);
    std::size_t length = 0;
    if (!cx.check(napi_get_value_string_utf16(cx.env(), value, nullptr, 0, &length))) return {};
    std::u16string out(length, u'\0');
    if (length > 0 &&
        !cx.check(napi_get_value_string_utf16(cx.env(), value, out.data(), length + 1, &length))) {
      return std::nullopt;
    }
    out.resize(length);
    return out;
  }
};
template <>
struct Converter<std::u16string_view> {
  static Napi::Value to_js(Napi::Env env, std::u16string_view value) {
    return Converter<std::u16string>::to_js(env, value);
  }
};

/// std::monostate ↔ undefined (from JS: undefined only).
template <>
struct Converter<std::monostate> {
  static Napi::Value to_js(Napi::Env env, std::monostate) { return env.Undefined(); }
  static std::optional<std::monostate> from_js(Napi::Value value, ConvertContext& cx) {
    if (!value.IsUndefined()) return cx.fail_type("undefined", value);
    return std::monostate{};
  }
};

/// std::nullptr_t ↔ null (from JS: null only).
template <>
struct Converter<std::nullptr_t> {
  static Napi::Value to_js(Napi::Env env, std::nullptr_t) { return env.Null(); }
  static std::optional<std::nullptr_t> from_js(Napi::Value value, ConvertContext& cx) {
    if (!value.IsNull()) return cx.fail_type("null", value);
    return nullptr;
  }
};

/// std::nullopt → undefined. To JS only.
template <>
struct Converter<std::nullopt_t> {
  static Napi::Value to_js(Napi::Env env, std::nullopt_t) { return env.Undefined(); }
};

/// napix::Error → a JS `Error` with its `name`, `message` and `code` (a `TypeError`/`RangeError`
/// for those names; see `to_js_error`). To JS only: a thrown JS error reaches C++ as `JsError`.
template <>
struct Converter<Error> {
  static Napi::Value to_js(Napi::Env env, const Error& error) {
    Napi::Error js = to_js_error(env, error);
    if (js.IsEmpty()) {  // Node-API refused (the environment is going): as any failed conversion
      NAPI_THROW_IF_FAILED(env, napi_generic_failure, Napi::Value());
      return Napi::Value();
    }
    return js.Value();
  }
};

/// Napi::Value and its subclasses pass through; from JS the subclass's type is checked
/// (Napi::Object accepts any object, arrays and functions included).
template <class T>
struct Converter<T, std::enable_if_t<std::is_base_of_v<Napi::Value, T>>> {
  static Napi::Value to_js(Napi::Env, const T& value) { return value; }
  static std::optional<T> from_js(Napi::Value value, ConvertContext& cx) {
    if constexpr (std::is_same_v<T, Napi::Value>) {
      return value;
    } else {
      const char* expected = "";
      if (!detail::value_kind_matches<T>(cx.env(), value, expected)) {
        return cx.failed() ? std::nullopt : cx.fail_type(expected, value);
      }
      return T(cx.env(), value);
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Definitions

template <class T>
std::optional<T> ConvertContext::convert(Napi::Value value) {
  if constexpr (detail::check_from_js_type<T>()) {
    if (failed()) return std::nullopt;
    if (value.IsEmpty()) {
      // Exceptions off: a node-addon-api call before this failed with an exception pending.
      bool pending = false;
      if (napi_is_exception_pending(env_, &pending) == napi_ok && pending) {
        return fail_status(napi_pending_exception);
      }
      return fail(Error::type_error(message("a value", "an empty Napi::Value")));
    }
    // Counts calls, not path steps: a converter that reads a property itself adds no step.
    if (depth_ >= kMaxDepth) {
      return fail(Error::range_error(
          message("at most " + std::to_string(kMaxDepth) + " levels of nesting", "more")));
    }
    struct Level {
      std::size_t& depth;
      ~Level() { --depth; }
    } level{++depth_};
    return Converter<T>::from_js(value, *this);
  } else {
    return std::nullopt;
  }
}

template <class T>
std::optional<T> ConvertContext::field(Napi::Value object, std::string_view key) {
  if (failed()) return std::nullopt;
  napi_valuetype type;
  napi_value name = nullptr, item = nullptr;
  if (!check(napi_typeof(env_, object, &type))) return std::nullopt;
  if (type != napi_object && type != napi_function) return fail_type("object", object);
  if (!check(napi_create_string_utf8(env_, key.empty() ? "" : key.data(), key.size(), &name)) ||
      !check(napi_get_property(env_, object, name, &item))) {
    return std::nullopt;
  }
  PathScope scope = push_key(key);
  return convert<T>(Napi::Value(env_, item));
}

template <class T>
std::optional<T> ConvertContext::element(Napi::Value array, std::uint32_t index) {
  if (failed()) return std::nullopt;
  napi_valuetype type;
  if (!check(napi_typeof(env_, array, &type))) return std::nullopt;
  if (type != napi_object && type != napi_function) return fail_type("object", array);
  napi_value item = nullptr;
  if (!check(napi_get_element(env_, array, index, &item))) return std::nullopt;
  PathScope scope = push_index(index);
  return convert<T>(Napi::Value(env_, item));
}

inline bool ConvertContext::check_count(std::uint32_t count, std::string_view what,
                                        std::string_view unit) {
  if (count <= limits_.max_elements) return true;
  std::string expected(what);
  expected += " of at most " + std::to_string(limits_.max_elements) + " ";
  expected += unit;
  fail(Error::range_error(message(expected, std::to_string(count) + " " + std::string(unit))));
  return false;
}

inline std::nullopt_t ConvertContext::fail_type(std::string_view expected, Napi::Value received) {
  return fail(Error::type_error(message(expected, describe(received))));
}

inline std::nullopt_t ConvertContext::fail_range(std::string_view expected, Napi::Value received) {
  napi_valuetype type = napi_undefined;
  std::string text;
  if (napi_typeof(env_, received, &type) == napi_ok && type == napi_number) {
    double number = 0;
    napi_get_value_double(env_, received, &number);
    text = detail::format_js_number(number);
  } else if (type == napi_bigint) {
    text = detail::coerce_string(env_, received, "a bigint") + "n";
  } else {
    text = describe(received);
  }
  return fail(Error::range_error(message(expected, text)));
}

inline std::string ConvertContext::describe(Napi::Value value) const {
  return detail::describe_type(env_, value);
}

inline std::nullopt_t ConvertContext::fail(Error error) {
  if (failure_ == Failure::none) {
    failure_ = Failure::error;
    error_ = std::move(error);
  }
  return std::nullopt;
}

inline std::nullopt_t ConvertContext::fail_status(napi_status status) {
  // Read the error info before any other Node-API call replaces it.
  const napi_extended_error_info* info = nullptr;
  std::string text = "Node-API call failed with status " + std::to_string(status);
  if (napi_get_last_error_info(env_, &info) == napi_ok && info && info->error_message) {
    text += std::string(": ") + info->error_message;
  }
  bool pending = false;
  if (napi_is_exception_pending(env_, &pending) == napi_ok && pending) {
    if (failure_ == Failure::none) failure_ = Failure::js_exception;
    return std::nullopt;
  }
  return fail(Error("Error", std::move(text), "ERR_NAPIX_NODE_API"));
}

inline Error ConvertContext::take_error(bool keep_pending) {
  if (napi_value thrown = detail::take_pending_exception(env_)) {
    Error copy = detail::exception_to_error(env_, thrown);
    if (keep_pending) napi_throw(env_, thrown);
    return copy;
  }
  if (failure_ == Failure::error) return error_;
  // A call reported a pending exception that is not there: JS cannot run here any more.
  return Error("Error", "JavaScript cannot run in this environment", "ERR_NAPIX_NODE_API");
}

inline void ConvertContext::throw_failure() {
#if NAPIX_EXCEPTIONS
  bool pending = false;
  if (napi_is_exception_pending(env_, &pending) == napi_ok && pending) {
    throw Napi::Error::New(env_);  // the JS exception itself, unchanged
  }
  throw_js(env_, take_error(false));
#endif
  detail::fatal("napix::ConvertContext::throw_failure", "called without C++ exceptions");
}

inline napi_value ConvertContext::object_prototype() {
  if (object_prototype_ == nullptr) {
    napi_value fresh = nullptr;
    if (!check(napi_create_object(env_, &fresh)) ||
        !check(napi_get_prototype(env_, fresh, &object_prototype_))) {
      object_prototype_ = nullptr;
    }
  }
  return object_prototype_;
}

template <class T>
Napi::Value to_js(Napi::Env env, T&& value) {
  using Key = detail::remove_cvref_t<T>;
  if constexpr (!detail::is_detected_v<detail::to_js_op, Converter<Key>, T&&>) {
    static_assert(detail::always_false_v<T>,
                  "napix::Converter<T> has no to_js for this argument; add static Napi::Value "
                  "to_js(Napi::Env, const T&) — see doc/convert.md");
    return Napi::Value();
  } else {
    return Converter<Key>::to_js(env, std::forward<T>(value));
  }
}

template <class T>
Fallible<T> from_js(Napi::Value value) {
  return from_js<T>(value, convert_limits());
}

template <class T>
Fallible<T> from_js(Napi::Value value, const ConvertLimits& limits) {
  if constexpr (std::is_void_v<T>) {
    (void)value, (void)limits;
    return Fallible<void>();
  } else {
    if (value.Env() == nullptr) {
      detail::misuse("napix::from_js: a default-constructed Napi::Value has no environment");
    }
    ConvertContext cx(value.Env(), limits);
    std::optional<T> result = cx.convert<T>(value);
#if NAPIX_EXCEPTIONS
    if (!result) cx.throw_failure();
    return std::move(*result);
#else
    if (!result) return cx.take_error(/*keep_pending=*/true);
    return Result<T>(std::move(*result));
#endif
  }
}

template <class T>
Result<T> try_from_js(Napi::Value value) {
  return try_from_js<T>(value, convert_limits());
}

template <class T>
Result<T> try_from_js(Napi::Value value, const ConvertLimits& limits) {
  if constexpr (std::is_void_v<T>) {
    (void)value, (void)limits;
    return Result<void>();
  } else {
    napi_env env = value.Env();
    if (env == nullptr) {
      return Error::type_error("expected a value, got a default-constructed Napi::Value");
    }
#if NAPIX_EXCEPTIONS
    // A user converter may call node-addon-api, which throws in this mode.
    try {
#endif
      ConvertContext cx(value.Env(), limits);
      std::optional<T> result = cx.convert<T>(value);
      if (!result) return cx.take_error(/*keep_pending=*/false);
      return Result<T>(std::move(*result));
#if NAPIX_EXCEPTIONS
    } catch (const Napi::Error& error) {
      return detail::exception_to_error(env, error.Value());
    } catch (const std::exception& error) {
      return Error(error.what());
    }
#endif
  }
}

}  // namespace napix

// The standard-container converters (optional, vector, array, tuple, pair, map).
#include "detail/convert_std.h"
