// napix/detail/js_value.h — Node-API helpers of the converters that need no ConvertContext:
// making values, naming the type of a received value, copying a thrown value into an Error.
#pragma once

#include <string>
#include <type_traits>

#include "../config.h"
#include "../error.h"
#include "traits.h"

namespace napix {
namespace detail {

// A Node-API call made a to_js fail: throw (or leave pending) the JS exception or an Error built
// from the call's error info. Must run before any other napi call, which resets that info.
inline Napi::Value to_js_failed(napi_env env) {
  Napi::Error error = Napi::Error::New(env);
#if NAPIX_EXCEPTIONS
  throw error;
#else
  error.ThrowAsJavaScriptException();
  return Napi::Value(env, nullptr);
#endif
}

// The value a Node-API call wrote to `*result`, or to_js_failed. A pointer, not the value: the
// call that writes it is evaluated in the same argument list, in unspecified order.
inline Napi::Value made(napi_env env, napi_status status, const napi_value* result) {
  return status == napi_ok ? Napi::Value(env, *result) : to_js_failed(env);
}

inline Napi::Value string_to_js(napi_env env, const char* data, std::size_t size) {
  napi_value out = nullptr;
  return made(env, napi_create_string_utf8(env, size == 0 ? "" : data, size, &out), &out);
}

inline const char* typed_array_name(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array:
      return "Int8Array";
    case napi_uint8_array:
      return "Uint8Array";
    case napi_uint8_clamped_array:
      return "Uint8ClampedArray";
    case napi_int16_array:
      return "Int16Array";
    case napi_uint16_array:
      return "Uint16Array";
    case napi_int32_array:
      return "Int32Array";
    case napi_uint32_array:
      return "Uint32Array";
    case napi_float32_array:
      return "Float32Array";
    case napi_float64_array:
      return "Float64Array";
    case napi_bigint64_array:
      return "BigInt64Array";
    case napi_biguint64_array:
      return "BigUint64Array";
    default:
      return "TypedArray";
  }
}

// Copies a thrown JS value into an Error without leaving anything pending (a throwing getter on
// the thrown object is ignored). The stack is not read: it may call Error.prepareStackTrace.
inline Error exception_to_error(napi_env env, napi_value thrown) {
  napi_valuetype type = napi_undefined;
  if (napi_typeof(env, thrown, &type) != napi_ok) return Error("unknown JavaScript exception");
  if (type != napi_object && type != napi_function) {
    return Error("Error", coerce_string(env, thrown, "unknown JavaScript exception"));
  }
  return Error(property_string(env, thrown, "name", "Error"),
               property_string(env, thrown, "message", ""),
               property_string(env, thrown, "code", "", /*must_be_string=*/true));
}

// Whether `value` is a SharedArrayBuffer of the current realm, for messages only. Node-API before
// node_api_is_sharedarraybuffer has no check for one (napi_is_arraybuffer says false), so this
// compares the value's prototype with the global SharedArrayBuffer.prototype.
inline bool is_shared_array_buffer(napi_env env, napi_value value) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) != napi_ok || pending) return false;
  napi_value prototype = nullptr, global = nullptr, shared = nullptr, shared_prototype = nullptr;
  napi_valuetype type;
  // No JS runs for this: a Proxy's getPrototypeOf trap is not called.
  if (napi_get_prototype(env, value, &prototype) != napi_ok ||
      napi_typeof(env, prototype, &type) != napi_ok || type != napi_object) {
    return false;
  }
  bool same = false;
  bool ok = napi_get_global(env, &global) == napi_ok &&
            napi_get_named_property(env, global, "SharedArrayBuffer", &shared) == napi_ok &&
            napi_typeof(env, shared, &type) == napi_ok && type == napi_function &&
            napi_get_named_property(env, shared, "prototype", &shared_prototype) == napi_ok &&
            napi_strict_equals(env, prototype, shared_prototype, &same) == napi_ok;
  // A script may have replaced the global with a getter that throws: that only costs the name.
  clear_pending_js_error(env);
  return ok && same;
}

// The received-type word of conversion messages (see ConvertContext::describe).
inline std::string describe_type(napi_env env, napi_value value) {
  napi_valuetype type;
  if (value == nullptr || napi_typeof(env, value, &type) != napi_ok) return "an empty value";
  switch (type) {
    case napi_undefined:
      return "undefined";
    case napi_null:
      return "null";
    case napi_boolean:
      return "boolean";
    case napi_number:
      return "number";
    case napi_string:
      return "string";
    case napi_symbol:
      return "symbol";
    case napi_bigint:
      return "bigint";
    case napi_function:
      return "function";
    case napi_external:
      return "external";
    default:
      break;
  }
  bool is = false;
  if (napi_is_array(env, value, &is) == napi_ok && is) return "array";
  if (napi_is_typedarray(env, value, &is) == napi_ok && is) {
    napi_typedarray_type kind;
    if (napi_get_typedarray_info(env, value, &kind, nullptr, nullptr, nullptr, nullptr) ==
        napi_ok) {
      return typed_array_name(kind);
    }
    return "TypedArray";
  }
  if (napi_is_arraybuffer(env, value, &is) == napi_ok && is) return "ArrayBuffer";
  if (napi_is_dataview(env, value, &is) == napi_ok && is) return "DataView";
  if (napi_is_date(env, value, &is) == napi_ok && is) return "Date";
  if (napi_is_promise(env, value, &is) == napi_ok && is) return "Promise";
  if (is_shared_array_buffer(env, value)) return "SharedArrayBuffer";
  return "object";
}

template <class E>
constexpr napi_typedarray_type typed_array_type() {
  if constexpr (std::is_same_v<E, std::int8_t>)
    return napi_int8_array;
  else if constexpr (std::is_same_v<E, std::uint8_t>)
    return napi_uint8_array;
  else if constexpr (std::is_same_v<E, std::int16_t>)
    return napi_int16_array;
  else if constexpr (std::is_same_v<E, std::uint16_t>)
    return napi_uint16_array;
  else if constexpr (std::is_same_v<E, std::int32_t>)
    return napi_int32_array;
  else if constexpr (std::is_same_v<E, std::uint32_t>)
    return napi_uint32_array;
  else if constexpr (std::is_same_v<E, float>)
    return napi_float32_array;
  else if constexpr (std::is_same_v<E, double>)
    return napi_float64_array;
  else if constexpr (std::is_same_v<E, std::int64_t>)
    return napi_bigint64_array;
  else if constexpr (std::is_same_v<E, std::uint64_t>)
    return napi_biguint64_array;
  else
    static_assert(always_false_v<E>, "napix: no TypedArray holds this element type");
}

template <class E>
struct TypedArrayElement;
template <class E>
struct TypedArrayElement<Napi::TypedArrayOf<E>> {
  using type = E;
};

// Whether `value` is what the Napi::Value subclass T wraps; `expected` names it for the message.
template <class T>
bool value_kind_matches(napi_env env, napi_value value, const char*& expected) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return false;
  bool is = false;
  auto typed_array_of = [&](napi_typedarray_type wanted) {
    napi_typedarray_type actual;
    if (napi_is_typedarray(env, value, &is) != napi_ok || !is) return false;
    if (napi_get_typedarray_info(env, value, &actual, nullptr, nullptr, nullptr, nullptr) !=
        napi_ok) {
      return false;
    }
    // node-addon-api lets TypedArrayOf<uint8_t> (and so Buffer) wrap a Uint8ClampedArray too.
    return actual == wanted || (wanted == napi_uint8_array && actual == napi_uint8_clamped_array);
  };
  if constexpr (std::is_same_v<T, Napi::Boolean>) {
    return expected = "boolean", type == napi_boolean;
  } else if constexpr (std::is_same_v<T, Napi::Number>) {
    return expected = "number", type == napi_number;
  } else if constexpr (std::is_same_v<T, Napi::BigInt>) {
    return expected = "bigint", type == napi_bigint;
  } else if constexpr (std::is_same_v<T, Napi::String>) {
    return expected = "string", type == napi_string;
  } else if constexpr (std::is_same_v<T, Napi::Symbol>) {
    return expected = "symbol", type == napi_symbol;
  } else if constexpr (std::is_same_v<T, Napi::Name>) {
    return expected = "string or symbol", type == napi_string || type == napi_symbol;
  } else if constexpr (std::is_same_v<T, Napi::Function>) {
    return expected = "function", type == napi_function;
  } else if constexpr (std::is_same_v<T, Napi::Object>) {
    return expected = "object", type == napi_object || type == napi_function;
  } else if constexpr (std::is_same_v<T, Napi::TypeTaggable>) {
    expected = "object";
    return type == napi_object || type == napi_function || type == napi_external;
  } else if constexpr (is_specialization_of_v<T, Napi::External>) {
    return expected = "external", type == napi_external;
  } else if constexpr (std::is_same_v<T, Napi::Array>) {
    return expected = "array", napi_is_array(env, value, &is) == napi_ok && is;
  } else if constexpr (std::is_same_v<T, Napi::ArrayBuffer>) {
    return expected = "ArrayBuffer", napi_is_arraybuffer(env, value, &is) == napi_ok && is;
  } else if constexpr (std::is_same_v<T, Napi::DataView>) {
    return expected = "DataView", napi_is_dataview(env, value, &is) == napi_ok && is;
  } else if constexpr (std::is_same_v<T, Napi::Date>) {
    return expected = "Date", napi_is_date(env, value, &is) == napi_ok && is;
  } else if constexpr (std::is_same_v<T, Napi::Promise>) {
    return expected = "Promise", napi_is_promise(env, value, &is) == napi_ok && is;
  } else if constexpr (std::is_same_v<T, Napi::TypedArray>) {
    return expected = "TypedArray", napi_is_typedarray(env, value, &is) == napi_ok && is;
  } else if constexpr (is_specialization_of_v<T, Napi::Buffer>) {
    return expected = "Uint8Array", typed_array_of(napi_uint8_array);
  } else if constexpr (is_specialization_of_v<T, Napi::TypedArrayOf>) {
    constexpr napi_typedarray_type kType = typed_array_type<typename TypedArrayElement<T>::type>();
    return expected = typed_array_name(kType), typed_array_of(kType);
  } else {
    static_assert(always_false_v<T>,
                  "napix::from_js cannot check this Napi::Value subclass; take a Napi::Value "
                  "and check its type yourself");
    return false;
  }
}

}  // namespace detail
}  // namespace napix
