// Unit tests of the Node-free helpers behind napix/convert.h: exact number checks, JavaScript's
// number formatting, the path format of conversion errors, and the shared type traits.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "catch.h"
#include "napix/detail/numeric.h"
#include "napix/detail/path.h"
#include "napix/detail/traits.h"

using napix::detail::checked_float;
using napix::detail::checked_integer;
using napix::detail::format_js_number;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();
}  // namespace

TEST_CASE("checked_integer accepts exact integers in range", "[numeric]") {
  CHECK(checked_integer<std::int8_t>(-128.0) == std::int8_t{-128});
  CHECK(checked_integer<std::int8_t>(127.0) == std::int8_t{127});
  CHECK(checked_integer<std::uint8_t>(255.0) == std::uint8_t{255});
  CHECK(checked_integer<std::int32_t>(-2147483648.0) == std::numeric_limits<std::int32_t>::min());
  CHECK(checked_integer<std::uint32_t>(4294967295.0) == 4294967295u);
  CHECK(checked_integer<char16_t>(65535.0) == char16_t{0xFFFF});
  // -0 is the integer 0, also for unsigned types.
  CHECK(checked_integer<int>(-0.0) == 0);
  CHECK(checked_integer<unsigned>(-0.0) == 0u);
}

TEST_CASE("checked_integer rejects values just outside the range", "[numeric]") {
  CHECK_FALSE(checked_integer<std::int8_t>(128.0));
  CHECK_FALSE(checked_integer<std::int8_t>(-129.0));
  CHECK_FALSE(checked_integer<std::uint8_t>(256.0));
  CHECK_FALSE(checked_integer<std::uint8_t>(-1.0));
  CHECK_FALSE(checked_integer<std::int32_t>(2147483648.0));
  CHECK_FALSE(checked_integer<std::int32_t>(-2147483649.0));
  CHECK_FALSE(checked_integer<std::uint32_t>(4294967296.0));
}

TEST_CASE("checked_integer rejects fractions, NaN and infinities", "[numeric]") {
  for (double d : {0.5, -0.5, 1.5, 1e-300, -1e-300, 4294967295.5, kNaN, kInf, -kInf}) {
    CAPTURE(d);
    CHECK_FALSE(checked_integer<int>(d));
    CHECK_FALSE(checked_integer<std::int64_t>(d));
    CHECK_FALSE(checked_integer<std::uint64_t>(d));
  }
}

TEST_CASE("checked_integer handles 64-bit bounds that a double cannot hold", "[numeric]") {
  const double two63 = 9223372036854775808.0;   // 2^63, exact
  const double two64 = 18446744073709551616.0;  // 2^64, exact
  // INT64_MAX rounds up to 2^63 as a double: that must be out of range, not wrap to INT64_MIN.
  CHECK_FALSE(checked_integer<std::int64_t>(static_cast<double>(INT64_MAX)));
  CHECK_FALSE(checked_integer<std::int64_t>(two63));
  CHECK(checked_integer<std::int64_t>(-two63) == INT64_MIN);
  CHECK_FALSE(checked_integer<std::int64_t>(std::nextafter(-two63, -kInf)));
  CHECK(checked_integer<std::int64_t>(std::nextafter(two63, 0.0)) ==
        std::int64_t{9223372036854774784});
  CHECK_FALSE(checked_integer<std::uint64_t>(two64));
  CHECK(checked_integer<std::uint64_t>(std::nextafter(two64, 0.0)) ==
        std::uint64_t{18446744073709549568u});
  CHECK(checked_integer<std::uint64_t>(9007199254740992.0) == 9007199254740992u);
  CHECK_FALSE(checked_integer<std::uint64_t>(-1.0));
  CHECK_FALSE(checked_integer<long long>(1e300));
}

TEST_CASE("checked_float rounds like Math.fround and rejects overflow only", "[numeric]") {
  CHECK(checked_float(1.5) == 1.5f);
  CHECK(checked_float(0.1) == 0.1f);
  CHECK(checked_float(static_cast<double>(FLT_MAX)) == FLT_MAX);
  // Above FLT_MAX but below FLT_MAX + half an ulp: rounds down to FLT_MAX.
  CHECK(checked_float(3.4028235e38) == FLT_MAX);
  CHECK(checked_float(-3.4028235e38) == -FLT_MAX);
  CHECK(checked_float(std::nextafter(napix::detail::kFloatOverflow, 0.0)) == FLT_MAX);
  CHECK_FALSE(checked_float(napix::detail::kFloatOverflow));
  CHECK_FALSE(checked_float(-napix::detail::kFloatOverflow));
  CHECK_FALSE(checked_float(1e39));
  CHECK_FALSE(checked_float(DBL_MAX));
  CHECK(std::isnan(*checked_float(kNaN)));
  CHECK(*checked_float(kInf) == std::numeric_limits<float>::infinity());
  CHECK(*checked_float(-kInf) == -std::numeric_limits<float>::infinity());
  CHECK(std::signbit(*checked_float(-0.0)));
  CHECK(*checked_float(1e-50) == 0.0f);  // underflow to zero is rounding, not an error
}

TEST_CASE("is_safe_integer is ±(2^53 - 1)", "[numeric]") {
  using napix::detail::is_safe_integer;
  CHECK(is_safe_integer(std::int64_t{9007199254740991}));
  CHECK_FALSE(is_safe_integer(std::int64_t{9007199254740992}));
  CHECK(is_safe_integer(std::int64_t{-9007199254740991}));
  CHECK_FALSE(is_safe_integer(std::int64_t{-9007199254740992}));
  CHECK_FALSE(is_safe_integer(INT64_MIN));
  CHECK(is_safe_integer(std::uint64_t{9007199254740991}));
  CHECK_FALSE(is_safe_integer(UINT64_MAX));
}

TEST_CASE("integer_range_text names the exact limits", "[numeric]") {
  using napix::detail::integer_range_text;
  CHECK(integer_range_text<std::uint8_t>() == "integer from 0 to 255");
  CHECK(integer_range_text<std::int32_t>() == "integer from -2147483648 to 2147483647");
  CHECK(integer_range_text<std::int64_t>() ==
        "integer from -9223372036854775808 to 9223372036854775807");
  CHECK(integer_range_text<std::uint64_t>() == "integer from 0 to 18446744073709551615");
  CHECK(integer_range_text<char16_t>() == "integer from 0 to 65535");
}

TEST_CASE("format_js_number writes what String(x) writes in JavaScript", "[numeric]") {
  // Expected strings are node's own output for each value.
  const std::vector<std::pair<double, const char*>> cases = {
      {0.0, "0"},
      {-0.0, "0"},
      {1, "1"},
      {-1, "-1"},
      {1.5, "1.5"},
      {0.1, "0.1"},
      {1.0 / 3, "0.3333333333333333"},
      {100, "100"},
      {256, "256"},
      {1e21, "1e+21"},
      {1e20, "100000000000000000000"},
      {123456789012345680000.0, "123456789012345680000"},
      {1.5e-7, "1.5e-7"},
      {1e-6, "0.000001"},
      {0.000001234, "0.000001234"},
      {1e-7, "1e-7"},
      {5e-324, "5e-324"},
      {1.5e-323, "1.5e-323"},
      {DBL_MAX, "1.7976931348623157e+308"},
      {9007199254740992.0, "9007199254740992"},
      {9223372036854775808.0, "9223372036854776000"},
      {18446744073709551616.0, "18446744073709552000"},
      {-9223372036854777856.0, "-9223372036854778000"},
      {1e300, "1e+300"},
      {-1e-300, "-1e-300"},
      {3.4028235677973366e38, "3.4028235677973366e+38"},
      {4294967295.9999995, "4294967295.9999995"},
      {12345.678, "12345.678"},
      {kNaN, "NaN"},
      {kInf, "Infinity"},
      {-kInf, "-Infinity"},
  };
  for (const auto& [value, text] : cases) {
    CAPTURE(value);
    CHECK(format_js_number(value) == text);
  }
}

TEST_CASE("format_js_number is shortest round-trip for many values", "[numeric]") {
  // Every output must read back as the same double; a cheap LCG walks the bit patterns.
  std::uint64_t state = 0x9E3779B97F4A7C15u;
  for (int i = 0; i < 20000; ++i) {
    state = state * 6364136223846793005u + 1442695040888963407u;
    double value;
    std::uint64_t bits = state;
    std::memcpy(&value, &bits, sizeof value);
    if (std::isnan(value) || std::isinf(value)) continue;
    std::string text = format_js_number(value);
    CAPTURE(text);
    REQUIRE(std::strtod(text.c_str(), nullptr) == (value == 0 ? 0.0 : value));
  }
}

TEST_CASE("path segments are written like JS property access", "[path]") {
  using napix::detail::format_path;
  using napix::detail::PathSegment;
  auto key = [](std::string_view k) { return PathSegment{k, 0, false}; };
  auto index = [](std::uint32_t i) { return PathSegment{{}, i, true}; };
  CHECK(format_path({}).empty());
  CHECK(format_path({index(2), key("size")}) == "[2].size");
  CHECK(format_path({key("size"), index(0)}) == "size[0]");
  CHECK(format_path({key("a"), key("b_2"), key("$c")}) == "a.b_2.$c");
  CHECK(format_path({key("a b")}) == "[\"a b\"]");
  CHECK(format_path({key("x"), key("1")}) == "x[\"1\"]");
  CHECK(format_path({key("")}) == "[\"\"]");
  CHECK(format_path({key("caf\xC3\xA9")}) == "[\"caf\xC3\xA9\"]");
  CHECK(format_path({index(4294967295u)}) == "[4294967295]");
}

TEST_CASE("non-identifier keys are JSON-escaped", "[path]") {
  std::string out;
  napix::detail::append_json_string(out, std::string_view("q\"\\\n\t\r\b\f\x01\x1f\x7f", 11));
  CHECK(out == "\"q\\\"\\\\\\n\\t\\r\\b\\f\\u0001\\u001f\x7f\"");
  CHECK_FALSE(napix::detail::is_identifier("1a"));
  CHECK_FALSE(napix::detail::is_identifier("a-b"));
  CHECK_FALSE(napix::detail::is_identifier(""));
  CHECK(napix::detail::is_identifier("_a1"));
}

TEST_CASE("format_failure is `expected X[ at P], got Y`", "[path]") {
  using napix::detail::format_failure;
  CHECK(format_failure("number", "[2].size", "string") ==
        "expected number at [2].size, got string");
  CHECK(format_failure("number", "", "string") == "expected number, got string");
}

TEST_CASE("traits", "[traits]") {
  using namespace napix::detail;
  STATIC_REQUIRE(std::is_same_v<remove_cvref_t<const int&>, int>);
  STATIC_REQUIRE(std::is_same_v<remove_cvref_t<const char(&)[4]>, char[4]>);
  STATIC_REQUIRE(is_specialization_of_v<std::vector<int>, std::vector>);
  STATIC_REQUIRE(is_specialization_of_v<const std::map<int, int>&, std::map>);
  STATIC_REQUIRE_FALSE(is_specialization_of_v<int, std::vector>);
  STATIC_REQUIRE(is_wide_integer_v<std::int64_t>);
  STATIC_REQUIRE(is_wide_integer_v<unsigned long long>);
  STATIC_REQUIRE_FALSE(is_wide_integer_v<std::int32_t>);
  STATIC_REQUIRE_FALSE(is_number_integer_v<bool>);
}

namespace {
template <class T>
using size_op = decltype(std::declval<T>().size());
}  // namespace

TEST_CASE("is_detected_v", "[traits]") {
  STATIC_REQUIRE(napix::detail::is_detected_v<size_op, std::string>);
  STATIC_REQUIRE_FALSE(napix::detail::is_detected_v<size_op, int>);
}
