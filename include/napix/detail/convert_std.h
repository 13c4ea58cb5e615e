// napix/detail/convert_std.h — the built-in converters for standard containers: optional, vector,
// array, tuple, pair, map. Part of <napix/convert.h>, which includes it at its end; kept apart
// only to keep each file short.
#pragma once

#include "../convert.h"
#include "external_buffer.h"
#include "visibility.h"

namespace napix {
namespace detail {

// Checks that `value` is a JS array; its length in `length`.
inline bool array_length(Napi::Value value, ConvertContext& cx, std::uint32_t& length) {
  bool is_array = false;
  if (!cx.check(napi_is_array(cx.env(), value, &is_array))) return false;
  if (!is_array) return (cx.fail_type("array", value), false);
  return cx.check(napi_get_array_length(cx.env(), value, &length));
}

// Fails unless `length` is `expected` (std::array, std::pair, std::tuple).
inline bool exact_length(std::uint32_t length, std::size_t expected, ConvertContext& cx) {
  if (length == expected) return true;
  cx.fail(Error::type_error(cx.message("array of length " + std::to_string(expected),
                                       "array of length " + std::to_string(length))));
  return false;
}

template <class Items>
Napi::Value sequence_to_js(napi_env env, const Items& items) {
  napi_value array = nullptr;
  if (napi_create_array_with_length(env, items.size(), &array) != napi_ok) return to_js_failed(env);
  std::uint32_t index = 0;
  for (const auto& item : items) {
    Napi::Value element = napix::to_js(env, item);
    if (element.IsEmpty()) return Napi::Value(env, nullptr);  // exceptions off: already pending
    if (napi_set_element(env, array, index++, element) != napi_ok) return to_js_failed(env);
  }
  return Napi::Value(env, array);
}

template <class Vector, class T>
std::optional<Vector> vector_from_array(Napi::Value value, ConvertContext& cx) {
  std::uint32_t length = 0;
  if (!array_length(value, cx, length) || !cx.check_count(length, "array", "elements")) {
    return std::nullopt;
  }
  Vector out;
  // A sparse array can claim 2^32 - 1 elements; only reserve what is plausibly there.
  out.reserve(length < 4096 ? length : 4096);
  for (std::uint32_t i = 0; i < length; ++i) {
    // cx.element without its per-element object check: `value` is known to be an array.
    napi_value element = nullptr;
    if (!cx.check(napi_get_element(cx.env(), value, i, &element))) return std::nullopt;
    ConvertContext::PathScope scope = cx.push_index(i);
    std::optional<T> item = cx.convert<T>(Napi::Value(cx.env(), element));
    if (!item) return std::nullopt;
    out.push_back(std::move(*item));
  }
  return out;
}

template <class Tuple, class... Ts>
struct TupleConverter {
  static Napi::Value to_js(Napi::Env env, const Tuple& value) {
    napi_value array = nullptr;
    if (napi_create_array_with_length(env, sizeof...(Ts), &array) != napi_ok) {
      return to_js_failed(env);
    }
    bool ok = set_all(env, array, value, std::index_sequence_for<Ts...>());
    return ok ? Napi::Value(env, array) : Napi::Value(env, nullptr);
  }
  static std::optional<Tuple> from_js(Napi::Value value, ConvertContext& cx) {
    std::uint32_t length = 0;
    if (!array_length(value, cx, length) || !exact_length(length, sizeof...(Ts), cx)) {
      return std::nullopt;
    }
    return read_all(value, cx, std::index_sequence_for<Ts...>());
  }

 private:
  template <std::size_t... I>
  static bool set_all(napi_env env, napi_value array, const Tuple& value,
                      std::index_sequence<I...>) {
    (void)env, (void)array, (void)value;  // unused for std::tuple<>
    return (set_one(env, array, I, napix::to_js(env, std::get<I>(value))) && ...);
  }
  static bool set_one(napi_env env, napi_value array, std::size_t index, Napi::Value element) {
    if (element.IsEmpty()) return false;  // exceptions off: already pending
    if (napi_set_element(env, array, static_cast<std::uint32_t>(index), element) == napi_ok) {
      return true;
    }
    to_js_failed(env);
    return false;
  }
  template <std::size_t... I>
  static std::optional<Tuple> read_all(Napi::Value value, ConvertContext& cx,
                                       std::index_sequence<I...>) {
    (void)value, (void)cx;  // unused for std::tuple<>
    std::tuple<std::optional<Ts>...> parts;
    // A fold over && stops at the first element that fails.
    bool ok = ((std::get<I>(parts) = cx.element<Ts>(value, I)).has_value() && ...);
    if (!ok) return std::nullopt;
    return Tuple{std::move(*std::get<I>(parts))...};
  }
};

template <class Map>
struct MapConverter {
  using Mapped = typename Map::mapped_type;

  static Napi::Value to_js(Napi::Env env, const Map& value) {
    napi_value object = nullptr;
    if (napi_create_object(env, &object) != napi_ok) return to_js_failed(env);
    // Defined, not assigned: a "__proto__" key must become an own property, not call the setter.
    std::vector<napi_property_descriptor> properties;
    properties.reserve(value.size());
    for (const auto& [key, item] : value) {
      napi_value name = nullptr;
      if (napi_create_string_utf8(env, key.empty() ? "" : key.data(), key.size(), &name) !=
          napi_ok) {
        return to_js_failed(env);
      }
      Napi::Value js = napix::to_js(env, item);
      if (js.IsEmpty()) return Napi::Value(env, nullptr);
      properties.push_back({nullptr, name, nullptr, nullptr, nullptr, js,
                            static_cast<napi_property_attributes>(napi_writable | napi_enumerable |
                                                                  napi_configurable),
                            nullptr});
    }
    if (!properties.empty() &&
        napi_define_properties(env, object, properties.size(), properties.data()) != napi_ok) {
      return to_js_failed(env);
    }
    return Napi::Value(env, object);
  }

  static std::optional<Map> from_js(Napi::Value value, ConvertContext& cx) {
    napi_env env = cx.env();
    if (!is_plain_object(value, cx)) return std::nullopt;
    napi_value keys = nullptr;
    std::uint32_t count = 0;
    if (!cx.check(napi_get_all_property_names(
            env, value, napi_key_own_only,
            static_cast<napi_key_filter>(napi_key_enumerable | napi_key_skip_symbols),
            napi_key_numbers_to_strings, &keys)) ||
        !cx.check(napi_get_array_length(env, keys, &count)) ||
        !cx.check_count(count, "plain object", "keys")) {
      return std::nullopt;
    }
    Map out;
    for (std::uint32_t i = 0; i < count; ++i) {
      napi_value key = nullptr, item = nullptr;
      if (!cx.check(napi_get_element(env, keys, i, &key))) return std::nullopt;
      std::optional<std::string> name = cx.convert<std::string>(Napi::Value(env, key));
      if (!name || !cx.check(napi_get_property(env, value, key, &item))) return std::nullopt;
      std::optional<Mapped> converted;
      {
        ConvertContext::PathScope scope = cx.push_key(*name);
        converted = cx.convert<Mapped>(Napi::Value(env, item));
      }
      if (!converted) return std::nullopt;
      // Keys with lone surrogates read as U+FFFD and can collide: the later key wins.
      out.insert_or_assign(std::move(*name), std::move(*converted));
    }
    return out;
  }

 private:
  static bool is_plain_object(Napi::Value value, ConvertContext& cx) {
    napi_env env = cx.env();
    napi_valuetype type;
    bool is_array = false;
    if (!cx.check(napi_typeof(env, value, &type))) return false;
    if (type != napi_object) return (cx.fail_type("plain object", value), false);
    if (!cx.check(napi_is_array(env, value, &is_array))) return false;
    if (is_array) return (cx.fail_type("plain object", value), false);
    napi_value prototype = nullptr;  // a Proxy's getPrototypeOf trap may throw: that propagates
    napi_valuetype prototype_type;
    if (!cx.check(napi_get_prototype(env, value, &prototype)) ||
        !cx.check(napi_typeof(env, prototype, &prototype_type))) {
      return false;
    }
    if (prototype_type == napi_null) return true;
    napi_value object_prototype = cx.object_prototype();
    bool same = false;
    if (object_prototype == nullptr ||
        !cx.check(napi_strict_equals(env, prototype, object_prototype, &same))) {
      return false;
    }
    if (same) return true;
    std::string received = cx.describe(value);
    if (received == "object") received = "class instance";
    cx.fail(Error::type_error(cx.message("plain object", received)));
    return false;
  }
};

}  // namespace detail

/// std::optional<T> ↔ undefined or null (→ nullopt) or T; nullopt → undefined.
template <class T>
struct Converter<std::optional<T>> {
  static Napi::Value to_js(Napi::Env env, const std::optional<T>& value) {
    return value ? napix::to_js(env, *value) : env.Undefined();
  }
  static Napi::Value to_js(Napi::Env env, std::optional<T>&& value) {
    return value ? napix::to_js(env, std::move(*value)) : env.Undefined();
  }
  static std::optional<std::optional<T>> from_js(Napi::Value value, ConvertContext& cx) {
    if (value.IsUndefined() || value.IsNull())
      return std::optional<std::optional<T>>(std::in_place);
    std::optional<T> inner = cx.convert<T>(value);
    if (!inner) return std::nullopt;
    return std::optional<std::optional<T>>(std::in_place, std::move(*inner));
  }
};

/// std::vector<T> ↔ Array. Holes read as undefined.
template <class T, class A>
struct Converter<std::vector<T, A>> {
  static Napi::Value to_js(Napi::Env env, const std::vector<T, A>& value) {
    return detail::sequence_to_js(env, value);
  }
  static std::optional<std::vector<T, A>> from_js(Napi::Value value, ConvertContext& cx) {
    return detail::vector_from_array<std::vector<T, A>, T>(value, cx);
  }
};

/// std::vector<std::uint8_t> → Buffer; from a Uint8Array (Buffer included), a Uint8ClampedArray
/// or an Array of integers 0..255.
template <class A>
struct Converter<std::vector<std::uint8_t, A>> {
  // napix's own, running no JavaScript and no user code: a stream may convert these inside the
  // iterator's next(), in the reader's async context (detail/stream_core.h, kPullable).
  NAPIX_LOCAL static constexpr bool napix_runs_no_js = true;
  static Napi::Value to_js(Napi::Env env, const std::vector<std::uint8_t, A>& value) {
    // Node-API wants a pointer even for no bytes. Not a static: GCC makes function-local statics
    // of templates STB_GNU_UNIQUE, which keeps the addon from ever being unloaded.
    const std::uint8_t nothing = 0;
    napi_value out = nullptr;
    return detail::made(
        env,
        napi_create_buffer_copy(env, value.size(), value.empty() ? &nothing : value.data(), nullptr,
                                &out),
        &out);
  }
  /// A vector moved in: the Buffer takes its memory, no copy (napix::Bytes does the same; a
  /// runtime without external buffers gets a copy). Thread: JS thread only.
  static Napi::Value to_js(Napi::Env env, std::vector<std::uint8_t, A>&& value) {
    if (value.empty()) return to_js(env, static_cast<const std::vector<std::uint8_t, A>&>(value));
    struct Owner final : detail::BufferOwner {
      explicit Owner(std::vector<std::uint8_t, A>&& v) noexcept : bytes(std::move(v)) {}
      std::vector<std::uint8_t, A> bytes;
    };
    auto* owner = new Owner(std::move(value));
    napi_value out = nullptr;
    bool adopted = false;
    napi_status s = detail::make_buffer(env, owner->bytes.data(), owner->bytes.size(), owner, &out,
                                        &adopted);
    if (!adopted) {
      if (s != napi_ok) value = std::move(owner->bytes);  // failed: the caller keeps its bytes
      delete owner;
    }
    return detail::made(env, s, &out);
  }
  static std::optional<std::vector<std::uint8_t, A>> from_js(Napi::Value value,
                                                             ConvertContext& cx) {
    napi_env env = cx.env();
    bool is_typed = false;
    if (!cx.check(napi_is_typedarray(env, value, &is_typed))) return std::nullopt;
    if (!is_typed) {
      bool is_array = false;
      if (!cx.check(napi_is_array(env, value, &is_array))) return std::nullopt;
      if (!is_array) return cx.fail_type("Uint8Array or array", value);
      return detail::vector_from_array<std::vector<std::uint8_t, A>, std::uint8_t>(value, cx);
    }
    napi_typedarray_type type;
    std::size_t length = 0;
    void* data = nullptr;  // already offset by the view's byteOffset
    if (!cx.check(napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr))) {
      return std::nullopt;
    }
    if (type != napi_uint8_array && type != napi_uint8_clamped_array) {
      return cx.fail_type("Uint8Array or array", value);
    }
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    // A detached buffer reports length 0 and no data.
    if (bytes == nullptr || length == 0) return std::vector<std::uint8_t, A>();
    return std::vector<std::uint8_t, A>(bytes, bytes + length);
  }
};

/// std::array<T, N> ↔ Array of exactly N elements (other lengths: TypeError).
template <class T, std::size_t N>
struct Converter<std::array<T, N>> {
  static Napi::Value to_js(Napi::Env env, const std::array<T, N>& value) {
    return detail::sequence_to_js(env, value);
  }
  static std::optional<std::array<T, N>> from_js(Napi::Value value, ConvertContext& cx) {
    std::uint32_t length = 0;
    if (!detail::array_length(value, cx, length) || !detail::exact_length(length, N, cx)) {
      return std::nullopt;
    }
    return read(value, cx, std::make_index_sequence<N>());
  }

 private:
  template <std::size_t... I>
  static std::optional<std::array<T, N>> read(Napi::Value value, ConvertContext& cx,
                                              std::index_sequence<I...>) {
    // Converted into optionals first so T need not be default-constructible.
    std::array<std::optional<T>, N> parts;
    for (std::uint32_t i = 0; i < N; ++i) {
      parts[i] = cx.element<T>(value, i);
      if (!parts[i]) return std::nullopt;
    }
    (void)parts;  // unused when N == 0
    return std::array<T, N>{{std::move(*parts[I])...}};
  }
};

/// std::tuple<Ts...> and std::pair<A, B> ↔ Array of exactly that length.
template <class... Ts>
struct Converter<std::tuple<Ts...>> : detail::TupleConverter<std::tuple<Ts...>, Ts...> {};
template <class A, class B>
struct Converter<std::pair<A, B>> : detail::TupleConverter<std::pair<A, B>, A, B> {};

/// std::map / std::unordered_map with std::string keys ↔ plain object (own enumerable string
/// keys; from JS only objects whose prototype is Object.prototype or null).
template <class T, class C, class A>
struct Converter<std::map<std::string, T, C, A>>
    : detail::MapConverter<std::map<std::string, T, C, A>> {};
template <class T, class H, class E, class A>
struct Converter<std::unordered_map<std::string, T, H, E, A>>
    : detail::MapConverter<std::unordered_map<std::string, T, H, E, A>> {};

}  // namespace napix
