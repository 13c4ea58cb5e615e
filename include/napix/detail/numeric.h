// napix/detail/numeric.h — exact number checks and JavaScript's number formatting, in plain C++
// (no Node-API) so the unit tests can pin every edge: NaN, ±0, ±Infinity, 2^53, 2^63, FLT_MAX.
#pragma once

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

#include "visibility.h"

namespace napix {
namespace detail {

/// Number.MAX_SAFE_INTEGER: the largest n such that n and n + 1 are both exact doubles.
NAPIX_LOCAL inline constexpr double kMaxSafeInteger = 9007199254740991.0;

/// The smallest double that a float conversion rounds to infinity: FLT_MAX plus half an ulp
/// (2^128 - 2^103). Doubles between FLT_MAX and this round to FLT_MAX, as `Math.fround` does.
NAPIX_LOCAL inline constexpr double kFloatOverflow = 0x1.ffffffp+127;

/// True for the integer types napix converts as numbers (every integral type but bool).
template <class T>
NAPIX_LOCAL inline constexpr bool is_number_integer_v =
    std::is_integral_v<T> && !std::is_same_v<std::remove_cv_t<T>, bool>;

/// True for integer types a double cannot hold exactly (64-bit): these also accept a BigInt and
/// become a BigInt in JS when beyond ±(2^53 - 1).
template <class I>
NAPIX_LOCAL inline constexpr bool is_wide_integer_v = is_number_integer_v<I> &&
                                          (std::numeric_limits<I>::digits > 53);

/// 2^n as a double, at compile time (std::ldexp is not constexpr in C++17).
constexpr double power_of_two(int n) {
  double result = 1.0;
  for (int i = 0; i < n; ++i) result *= 2.0;
  return result;
}

/// `d` as an `I` when `d` is an integer that `I` holds exactly; nullopt for NaN, ±Infinity, a
/// fraction or a value out of range. Never wraps, never truncates. -0 gives 0. Thread: any.
template <class I>
std::optional<I> checked_integer(double d) {
  static_assert(is_number_integer_v<I>, "checked_integer needs an integer type other than bool");
  static_assert(sizeof(I) <= 8, "napix converts integers of at most 64 bits");
  // [-2^digits, 2^digits) is exactly [min, max + 1) and both bounds are exact doubles, so this
  // compares without rounding even for 64-bit types whose max is not a double.
  constexpr double kLimit = power_of_two(std::numeric_limits<I>::digits);
  constexpr double kLow = std::is_signed_v<I> ? -kLimit : 0.0;
  if (!(d >= kLow && d < kLimit)) return std::nullopt;  // also rejects NaN and ±Infinity
  if (std::trunc(d) != d) return std::nullopt;
  return static_cast<I>(d);
}

/// `d` as a float; nullopt when it is finite but a float cannot hold it (it would round to
/// ±Infinity). NaN and ±Infinity pass through. Thread: any.
inline std::optional<float> checked_float(double d) {
  if (std::isnan(d) || std::isinf(d)) return static_cast<float>(d);
  double magnitude = std::fabs(d);
  if (magnitude >= kFloatOverflow) return std::nullopt;
  // Written out because a cast of a double above FLT_MAX is not portably defined in C++.
  if (magnitude > static_cast<double>(FLT_MAX)) return d < 0 ? -FLT_MAX : FLT_MAX;
  return static_cast<float>(d);
}

/// True when `value` is within ±(2^53 - 1), so a JS number holds it exactly. Thread: any.
template <class I>
constexpr bool is_safe_integer(I value) {
  constexpr std::uint64_t kMax = 9007199254740991ULL;
  if constexpr (std::is_signed_v<I>) {
    return static_cast<long long>(value) >= -static_cast<long long>(kMax) &&
           static_cast<long long>(value) <= static_cast<long long>(kMax);
  } else {
    return static_cast<unsigned long long>(value) <= kMax;
  }
}

/// "integer from <min> to <max>" for `I`, the expected-text of a range failure. Thread: any.
template <class I>
std::string integer_range_text() {
  std::string text = "integer from ";
  if constexpr (std::is_signed_v<I>) {
    text += std::to_string(static_cast<long long>(std::numeric_limits<I>::min()));
    text += " to ";
    text += std::to_string(static_cast<long long>(std::numeric_limits<I>::max()));
  } else {
    text += "0 to ";
    text += std::to_string(static_cast<unsigned long long>(std::numeric_limits<I>::max()));
  }
  return text;
}

/// `d` as JavaScript's `String(d)` writes it (ECMAScript Number::toString, radix 10): the
/// shortest digits that read back as `d`, plain up to 21 integer digits, exponent form beyond
/// ("1e+21", "1.5e-7"). -0 is "0". Used for the "got <value>" part of range errors. Thread: any.
inline std::string format_js_number(double d) {
  if (std::isnan(d)) return "NaN";
  if (d == 0) return "0";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  const double magnitude = std::fabs(d);

  // Shortest round-trip digits: the first precision whose correctly rounded %e output reads back
  // as the same double. The round trip is parsed as "<digits>e<exp>", without a decimal point, so
  // the C locale's LC_NUMERIC cannot change it.
  std::string digits;
  int exponent = 0;  // the value is 0.<digits> * 10^(exponent + 1), i.e. d1.d2d3... * 10^exponent
  for (int precision = 1; precision <= 17; ++precision) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*e", precision - 1, magnitude);
    digits.clear();
    const char* p = buffer;
    for (; *p != '\0' && *p != 'e' && *p != 'E'; ++p) {
      if (*p >= '0' && *p <= '9') digits += *p;
    }
    exponent = (*p != '\0') ? std::atoi(p + 1) : 0;
    std::string probe = digits + "e" + std::to_string(exponent - (precision - 1));
    if (std::strtod(probe.c_str(), nullptr) == magnitude) break;
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();

  // ECMAScript's layout: k digits, decimal point position n.
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;
  std::string out = d < 0 ? "-" : "";
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<std::size_t>(n));
    out += '.';
    out += digits.substr(static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += (n - 1 >= 0) ? "e+" : "e-";
    out += std::to_string(n - 1 >= 0 ? n - 1 : 1 - n);
  }
  return out;
}

}  // namespace detail
}  // namespace napix
