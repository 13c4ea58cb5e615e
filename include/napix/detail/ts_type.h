// napix/detail/ts_type.h — the TypeScript type of every built-in conversion, for the .d.ts that
// `napix-dts` prints (doc/function.md, "TypeScript"). A user type names its own through an
// optional `Converter<T>::ts_type`; without one it is `unknown`.
#pragma once

#include <array>
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

#include "../convert.h"
#include "../error.h"
#include "callable.h"
#include "js_value.h"
#include "numeric.h"
#include "traits.h"
#include "visibility.h"

namespace napix {
namespace detail {

/// Which way a value goes: into C++ (a parameter: what `from_js` accepts) or out of it (a result:
/// what `to_js` makes). They differ for optional values (null is accepted, undefined is made) and
/// byte vectors (an array of numbers is accepted, a Buffer is made).
enum class TsSide : unsigned char { param, result };

template <class C>
using ts_type_member = decltype(std::string_view(C::ts_type));

template <class T>
void write_ts_type(std::string& out, TsSide side);

template <class T>
std::string ts_type(TsSide side) {
  std::string out;
  write_ts_type<T>(out, side);
  return out;
}

// `T[]`, with parentheses around a union or a function type.
template <class T>
void write_ts_array(std::string& out, TsSide side) {
  std::string item = ts_type<T>(side);
  if (item.find(" | ") != std::string::npos || item.find("=>") != std::string::npos) {
    out += '(';
    out += item;
    out += ')';
  } else {
    out += item;
  }
  out += "[]";
}

template <class... Ts>
void write_ts_tuple(std::string& out, TsSide side, TypeList<Ts...>) {
  out += '[';
  bool first = true;
  ((out += first ? "" : ", ", first = false, write_ts_type<Ts>(out, side)), ...);
  out += ']';
}

template <class T, std::size_t>
using Repeat = T;

template <class T, std::size_t... I>
void write_ts_repeat(std::string& out, TsSide side, std::index_sequence<I...>) {
  write_ts_tuple(out, side, TypeList<Repeat<T, I>...>());
}

template <class T>
struct TsArray {
  NAPIX_LOCAL static constexpr bool value = false;
};
template <class T, std::size_t N>
struct TsArray<std::array<T, N>> {
  NAPIX_LOCAL static constexpr bool value = true;
  using element = T;
  NAPIX_LOCAL static constexpr std::size_t size = N;
};

template <class T>
struct TsMap {
  NAPIX_LOCAL static constexpr bool value = false;
};
template <class T, class C, class A>
struct TsMap<std::map<std::string, T, C, A>> {
  NAPIX_LOCAL static constexpr bool value = true;
  using mapped = T;
};
template <class T, class H, class E, class A>
struct TsMap<std::unordered_map<std::string, T, H, E, A>> {
  NAPIX_LOCAL static constexpr bool value = true;
  using mapped = T;
};

template <class T>
struct TsTuple {
  NAPIX_LOCAL static constexpr bool value = false;
};
template <class... Ts>
struct TsTuple<std::tuple<Ts...>> {
  NAPIX_LOCAL static constexpr bool value = true;
  using list = TypeList<Ts...>;
};
template <class A, class B>
struct TsTuple<std::pair<A, B>> {
  NAPIX_LOCAL static constexpr bool value = true;
  using list = TypeList<A, B>;
};

template <class T>
const char* napi_ts_type() {
  if constexpr (std::is_same_v<T, Napi::Boolean>) return "boolean";
  else if constexpr (std::is_same_v<T, Napi::Number>) return "number";
  else if constexpr (std::is_same_v<T, Napi::BigInt>) return "bigint";
  else if constexpr (std::is_same_v<T, Napi::String>) return "string";
  else if constexpr (std::is_same_v<T, Napi::Symbol>) return "symbol";
  else if constexpr (std::is_same_v<T, Napi::Name>) return "string | symbol";
  else if constexpr (std::is_same_v<T, Napi::Function>) return "(...args: any[]) => any";
  else if constexpr (std::is_same_v<T, Napi::Array>) return "unknown[]";
  else if constexpr (std::is_same_v<T, Napi::ArrayBuffer>) return "ArrayBuffer";
  else if constexpr (std::is_same_v<T, Napi::DataView>) return "DataView";
  else if constexpr (std::is_same_v<T, Napi::Date>) return "Date";
  else if constexpr (std::is_same_v<T, Napi::Promise>) return "Promise<unknown>";
  else if constexpr (std::is_same_v<T, Napi::TypedArray>) return "ArrayBufferView";
  else if constexpr (is_specialization_of_v<T, Napi::Buffer>) return "Uint8Array";
  else if constexpr (is_specialization_of_v<T, Napi::TypedArrayOf>) {
    return typed_array_name(typed_array_type<typename TypedArrayElement<T>::type>());
  } else if constexpr (std::is_same_v<T, Napi::Object> || std::is_base_of_v<Napi::Error, T>) {
    return "object";
  } else {
    return "unknown";  // Napi::Value, Napi::External, ...
  }
}

/// Appends the TypeScript type of T going `side`. Thread: any.
template <class T>
void write_ts_type(std::string& out, TsSide side) {
  using D = remove_cvref_t<T>;
  if constexpr (std::is_void_v<D>) {
    out += side == TsSide::result ? "void" : "undefined";
  } else if constexpr (is_result_v<D>) {
    write_ts_type<typename D::value_type>(out, side);
  } else if constexpr (std::is_base_of_v<Napi::Value, D>) {
    out += napi_ts_type<D>();
  } else if constexpr (is_detected_v<ts_type_member, Converter<D>>) {
    out += std::string_view(Converter<D>::ts_type);
  } else if constexpr (std::is_same_v<D, bool>) {
    out += "boolean";
  } else if constexpr (std::is_arithmetic_v<D>) {
    // 64-bit integers accept a BigInt and become one beyond ±(2^53 - 1).
    out += is_wide_integer_v<D> ? "number | bigint" : "number";
  } else if constexpr (std::is_same_v<D, std::string> || std::is_same_v<D, std::string_view> ||
                       std::is_same_v<D, std::u16string> ||
                       std::is_same_v<D, std::u16string_view> || std::is_same_v<D, const char*> ||
                       std::is_same_v<D, char*> ||
                       (std::is_array_v<D> && std::is_same_v<std::remove_extent_t<D>, char>)) {
    out += "string";
  } else if constexpr (std::is_same_v<D, std::monostate> || std::is_same_v<D, std::nullopt_t>) {
    out += "undefined";
  } else if constexpr (std::is_same_v<D, std::nullptr_t>) {
    out += "null";
  } else if constexpr (is_specialization_of_v<D, std::optional>) {
    std::string inner = ts_type<typename D::value_type>(side);
    out += inner;
    out += side == TsSide::param ? " | null | undefined" : " | undefined";
  } else if constexpr (is_specialization_of_v<D, std::vector>) {
    if constexpr (std::is_same_v<typename D::value_type, std::uint8_t>) {
      out += side == TsSide::param ? "Uint8Array | number[]" : "Uint8Array";
    } else {
      write_ts_array<typename D::value_type>(out, side);
    }
  } else if constexpr (TsArray<D>::value) {
    // A tuple type says the length; past 16 elements that is more noise than help.
    if constexpr (TsArray<D>::size <= 16) {
      write_ts_repeat<typename TsArray<D>::element>(out, side,
                                                    std::make_index_sequence<TsArray<D>::size>());
    } else {
      write_ts_array<typename TsArray<D>::element>(out, side);
    }
  } else if constexpr (TsTuple<D>::value) {
    write_ts_tuple(out, side, typename TsTuple<D>::list());
  } else if constexpr (TsMap<D>::value) {
    out += "Record<string, ";
    write_ts_type<typename TsMap<D>::mapped>(out, side);
    out += '>';
  } else {
    out += "unknown";
  }
}

}  // namespace detail
}  // namespace napix
