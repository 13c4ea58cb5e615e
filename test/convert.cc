// Test functions for napix/convert.h. Built with C++ exceptions on and off; the JS expectations
// are the same for both except where a function reports what the mode itself does differently.
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "common.h"

// A user-defined type and its converter: the example doc/convert.md copies.
struct Point {
  double x = 0;
  double y = 0;
  std::string label;
};

namespace napix {
template <>
struct Converter<Point> {
  static Napi::Value to_js(Napi::Env env, const Point& point) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("x", napix::to_js(env, point.x));
    out.Set("y", napix::to_js(env, point.y));
    out.Set("label", napix::to_js(env, point.label));
    return out;
  }
  static std::optional<Point> from_js(Napi::Value value, napix::ConvertContext& cx) {
    if (!value.IsObject()) return cx.fail_type("object", value);
    std::optional<double> x = cx.field<double>(value, "x");
    std::optional<double> y = cx.field<double>(value, "y");
    std::optional<std::string> label = cx.field<std::string>(value, "label");
    if (!x || !y || !label) return std::nullopt;  // the first failure is already recorded
    return Point{*x, *y, std::move(*label)};
  }
};
}  // namespace napix

// An enum as a string, with a custom error through cx.fail and cx.message.
enum class Color { red, green };

namespace napix {
template <>
struct Converter<Color> {
  static Napi::Value to_js(Napi::Env env, Color color) {
    return napix::to_js(env, color == Color::red ? "red" : "green");
  }
  static std::optional<Color> from_js(Napi::Value value, napix::ConvertContext& cx) {
    std::optional<std::string> name = cx.convert<std::string>(value);
    if (!name) return std::nullopt;
    if (*name == "red") return Color::red;
    if (*name == "green") return Color::green;
    return cx.fail(
        napix::Error::range_error(cx.message("\"red\" or \"green\"", "\"" + *name + "\"")));
  }
};
}  // namespace napix

// A recursive type: only ConvertContext::kMaxDepth stops it on a cyclic object.
struct Tree {
  std::vector<Tree> children;
};

namespace napix {
template <>
struct Converter<Tree> {
  static Napi::Value to_js(Napi::Env env, const Tree& tree) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("children", napix::to_js(env, tree.children));
    return out;
  }
  static std::optional<Tree> from_js(Napi::Value value, napix::ConvertContext& cx) {
    std::optional<std::vector<Tree>> children = cx.field<std::vector<Tree>>(value, "children");
    if (!children) return std::nullopt;
    return Tree{std::move(*children)};
  }
};
}  // namespace napix

// A linked list whose converter reads `next` itself: no path step marks the recursion, so only
// ConvertContext's count of nested convert calls stops a cyclic or very long chain. To JS: the
// number of links.
struct Chain {
  std::uint32_t links = 0;
};

namespace napix {
template <>
struct Converter<Chain> {
  static Napi::Value to_js(Napi::Env env, const Chain& chain) {
    return napix::to_js(env, chain.links);
  }
  static std::optional<Chain> from_js(Napi::Value value, napix::ConvertContext& cx) {
    napi_valuetype type;
    if (!cx.check(napi_typeof(cx.env(), value, &type))) return std::nullopt;
    if (type != napi_object) return cx.fail_type("object", value);
    napi_value next = nullptr;
    if (!cx.check(napi_get_named_property(cx.env(), value, "next", &next))) return std::nullopt;
    std::optional<std::optional<Chain>> rest =
        cx.convert<std::optional<Chain>>(Napi::Value(cx.env(), next));
    if (!rest) return std::nullopt;
    return Chain{1 + (*rest ? (*rest)->links : 0)};
  }
};
}  // namespace napix

namespace {

// Every type the tests convert, by the name JS uses for it.
namespace t {
using Bool = bool;
using Char = char;
using SignedChar = signed char;
using UnsignedChar = unsigned char;
using Short = short;
using UnsignedShort = unsigned short;
using Int = int;
using UnsignedInt = unsigned int;
using Long = long;
using UnsignedLong = unsigned long;
using LongLong = long long;
using UnsignedLongLong = unsigned long long;
using Char16 = char16_t;
using Char32 = char32_t;
using WChar = wchar_t;
using Int8 = std::int8_t;
using Uint8 = std::uint8_t;
using Int16 = std::int16_t;
using Uint16 = std::uint16_t;
using Int32 = std::int32_t;
using Uint32 = std::uint32_t;
using Int64 = std::int64_t;
using Uint64 = std::uint64_t;
using Float = float;
using Double = double;
using LongDouble = long double;
using String = std::string;
using U16String = std::u16string;
using Monostate = std::monostate;
using Nullptr = std::nullptr_t;
using VectorInt = std::vector<int>;
using VectorDouble = std::vector<double>;
using VectorString = std::vector<std::string>;
using VectorBool = std::vector<bool>;
using Bytes = std::vector<std::uint8_t>;
using ArrayInt3 = std::array<int, 3>;
using ArrayEmpty = std::array<std::string, 0>;
using OptionalInt = std::optional<int>;
using OptionalString = std::optional<std::string>;
using OptionalVectorInt = std::optional<std::vector<int>>;
using MapInt = std::map<std::string, int>;
using UnorderedMapString = std::unordered_map<std::string, std::string>;
using MapOptionalDouble = std::map<std::string, std::optional<double>>;
using PairIntString = std::pair<int, std::string>;
using TupleIntStringBool = std::tuple<int, std::string, bool>;
using TupleEmpty = std::tuple<>;
using VectorVectorInt = std::vector<std::vector<int>>;
using VectorOptionalInt = std::vector<std::optional<int>>;
using VectorValue = std::vector<Napi::Value>;
using VectorMonostate = std::vector<std::monostate>;
using Nested = std::vector<std::optional<std::map<std::string, std::tuple<int, std::string>>>>;
using Value = Napi::Value;
using Object = Napi::Object;
using Array = Napi::Array;
using Function = Napi::Function;
using StringValue = Napi::String;
using NumberValue = Napi::Number;
using BooleanValue = Napi::Boolean;
using BigIntValue = Napi::BigInt;
using SymbolValue = Napi::Symbol;
using NameValue = Napi::Name;
using Promise = Napi::Promise;
using ArrayBuffer = Napi::ArrayBuffer;
using TypedArray = Napi::TypedArray;
using Uint8Array = Napi::Uint8Array;
using Float64Array = Napi::Float64Array;
using BigInt64Array = Napi::BigInt64Array;
using Buffer = Napi::Buffer<std::uint8_t>;
using DataView = Napi::DataView;
using Date = Napi::Date;
using External = Napi::External<int>;
using Point = ::Point;
using Points = std::vector<Point>;
using PointMap = std::map<std::string, std::vector<Point>>;
using Color = ::Color;
using Tree = ::Tree;
using Chain = ::Chain;
}  // namespace t

// clang-format off
#define NAPIX_TEST_CONVERT_TYPES(X)                                                               \
  X(Bool) X(Char) X(SignedChar) X(UnsignedChar) X(Short) X(UnsignedShort) X(Int) X(UnsignedInt)  \
  X(Long) X(UnsignedLong) X(LongLong) X(UnsignedLongLong) X(Char16) X(Char32) X(WChar) X(Int8)   \
  X(Uint8) X(Int16) X(Uint16) X(Int32) X(Uint32) X(Int64) X(Uint64) X(Float) X(Double)           \
  X(LongDouble) X(String) X(U16String) X(Monostate) X(Nullptr) X(VectorInt) X(VectorDouble)      \
  X(VectorString) X(VectorBool) X(Bytes) X(ArrayInt3) X(ArrayEmpty) X(OptionalInt)               \
  X(OptionalString) X(OptionalVectorInt) X(MapInt) X(UnorderedMapString) X(MapOptionalDouble)    \
  X(PairIntString) X(TupleIntStringBool) X(TupleEmpty) X(VectorVectorInt) X(VectorOptionalInt)   \
  X(Nested) X(Value) X(Object) X(Array) X(Function) X(StringValue) X(NumberValue)                \
  X(BooleanValue) X(BigIntValue) X(SymbolValue) X(NameValue) X(Promise) X(ArrayBuffer)           \
  X(TypedArray) X(Uint8Array) X(Float64Array) X(BigInt64Array) X(Buffer) X(DataView) X(Date)     \
  X(External) X(Point) X(Points) X(PointMap) X(Color) X(Tree) X(VectorValue) X(VectorMonostate)  \
  X(Chain)
// clang-format on

// The types limited.<Name> and tryLimited.<Name> cover.
#define NAPIX_TEST_LIMITED_TYPES(X) \
  X(VectorInt) X(VectorOptionalInt) X(VectorValue) X(VectorMonostate) X(Bytes) X(MapInt) X(Nested)

// Ends a conversion the way roundtrip.<Name> and limited.<Name> report it: the value through
// to_js, or the failure as a JS throw. With exceptions off the Result's error is thrown with
// throw_js, which keeps a JS exception already pending (a Proxy trap's) instead.
template <class T>
Napi::Value give_back(Napi::Env env, napix::Fallible<T>&& value) {
#if NAPIX_EXCEPTIONS
  return napix::to_js(env, std::move(value));
#else
  if (!value.ok()) {
    napix::throw_js(env, value.error());
    return Napi::Value();
  }
  return napix::to_js(env, std::move(*value));
#endif
}

// A try_from_js result as {ok, value, pending} or {ok: false, name, message, code, pending}.
template <class T>
Napi::Object describe_result(Napi::Env env, napix::Result<T>&& result, bool pending) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("ok", result.ok());
  out.Set("pending", pending);
  if (result.ok()) {
    out.Set("value", napix::to_js(env, std::move(*result)));
  } else {
    out.Set("name", result.error().name);
    out.Set("message", result.error().message);
    out.Set("code", result.error().code);
  }
  return out;
}

// roundtrip.<Name>(v): from_js<T>(v), then to_js of the result (see give_back).
template <class T>
Napi::Value roundtrip(const Napi::CallbackInfo& info) {
  return give_back<T>(info.Env(), napix::from_js<T>(info[0]));
}

// tryFrom.<Name>(v): try_from_js<T>(v) as {ok, value} or {ok: false, name, message, code}, plus
// whether a JS exception is pending (it must never be).
template <class T>
Napi::Value try_from(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napix::Result<T> result = napix::try_from_js<T>(info[0]);
  bool pending = env.IsExceptionPending();
  if (pending) {
    env.GetAndClearPendingException();
  }
  return describe_result(env, std::move(result), pending);
}

// {maxElements} as ConvertLimits; a missing field keeps the default.
napix::ConvertLimits limits_from(Napi::Value value) {
  napix::ConvertLimits limits;
  if (value.IsObject()) {
    Napi::Value max = value.As<Napi::Object>().Get("maxElements");
    if (max.IsNumber()) limits.max_elements = max.As<Napi::Number>().Uint32Value();
  }
  return limits;
}

// limited.<Name>(v, {maxElements}): roundtrip with from_js<T>(v, limits), this conversion only.
template <class T>
Napi::Value limited(const Napi::CallbackInfo& info) {
  napix::ConvertLimits limits = limits_from(info[1]);
  return give_back<T>(info.Env(), napix::from_js<T>(info[0], limits));
}

// tryLimited.<Name>(v, {maxElements}): try_from_js<T>(v, limits), reported as tryFrom does.
template <class T>
Napi::Value try_limited(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napix::Result<T> result = napix::try_from_js<T>(info[0], limits_from(info[1]));
  return describe_result(env, std::move(result), env.IsExceptionPending());
}

// setLimits({maxElements}) sets the global limits; getLimits() reads them.
Napi::Value set_limits(const Napi::CallbackInfo& info) {
  napix::set_convert_limits(limits_from(info[0]));
  return info.Env().Undefined();
}
Napi::Value get_limits(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("maxElements", napix::to_js(info.Env(), napix::convert_limits().max_elements));
  return out;
}

// fromJsDetail(v): from_js<int>(v) the mode's own way, reporting whether a JS exception is still
// pending afterwards (exceptions off: only for an exception JS itself threw).
Napi::Value from_js_detail(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
#if NAPIX_EXCEPTIONS
  try {
    out.Set("value", napix::from_js<Point>(info[0]).label);
    out.Set("ok", true);
  } catch (const Napi::Error& error) {
    out.Set("ok", false);
    out.Set("thrown", error.Value());
  }
  out.Set("pending", env.IsExceptionPending());
#else
  napix::Result<Point> result = napix::from_js<Point>(info[0]);
  bool pending = env.IsExceptionPending();
  // Cleared before anything else: Node-API calls that may run JS refuse to with one pending.
  Napi::Value thrown =
      pending ? Napi::Value(env.GetAndClearPendingException().Value()) : Napi::Value();
  out.Set("ok", result.ok());
  out.Set("pending", pending);
  if (pending) {
    out.Set("thrown", thrown);
  } else if (!result.ok()) {
    out.Set("thrown", napix::to_js_error(env, result.error()).Value());
  }
  if (!result.ok()) out.Set("resultMessage", result.error().message);
#endif
  return out;
}

// Values made in C++: what to_js gives for each.
Napi::Value made(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  auto set = [&](const char* name, Napi::Value value) { out.Set(name, value); };
  set("int64Big", napix::to_js(env, std::int64_t{1} << 60));
  set("int64Max", napix::to_js(env, std::numeric_limits<std::int64_t>::max()));
  set("int64Min", napix::to_js(env, std::numeric_limits<std::int64_t>::min()));
  set("int64Safe", napix::to_js(env, std::int64_t{9007199254740991}));
  set("int64Unsafe", napix::to_js(env, std::int64_t{9007199254740992}));
  set("int64NegSafe", napix::to_js(env, std::int64_t{-9007199254740991}));
  set("int64NegUnsafe", napix::to_js(env, std::int64_t{-9007199254740992}));
  set("uint64Max", napix::to_js(env, std::numeric_limits<std::uint64_t>::max()));
  set("uint64Safe", napix::to_js(env, std::uint64_t{9007199254740991}));
  set("longLong", napix::to_js(env, -5LL));
  set("uint32Max", napix::to_js(env, std::numeric_limits<std::uint32_t>::max()));
  set("int32Min", napix::to_js(env, std::numeric_limits<std::int32_t>::min()));
  set("char", napix::to_js(env, 'a'));
  set("char16", napix::to_js(env, u'\xffff'));
  set("bool", napix::to_js(env, true));
  set("float", napix::to_js(env, 1.5f));
  set("floatTenth", napix::to_js(env, 0.1f));
  set("longDouble", napix::to_js(env, 0.25L));
  set("bytes", napix::to_js(env, std::vector<std::uint8_t>{1, 2, 255}));
  set("emptyBytes", napix::to_js(env, std::vector<std::uint8_t>{}));
  set("nullopt", napix::to_js(env, std::nullopt));
  set("emptyOptional", napix::to_js(env, std::optional<int>()));
  set("someOptional", napix::to_js(env, std::optional<int>(5)));
  set("nullCString", napix::to_js(env, static_cast<const char*>(nullptr)));
  set("cString", napix::to_js(env, static_cast<const char*>("hello")));
  set("literal", napix::to_js(env, "lit"));
  char buffer[8] = {'a', 'b', '\0', 'c', 'd', 'e', 'f', 'g'};
  set("charArray", napix::to_js(env, buffer));
  char unterminated[3] = {'x', 'y', 'z'};
  set("charArrayFull", napix::to_js(env, unterminated));
  set("stringView", napix::to_js(env, std::string_view("a\0b", 3)));
  set("stringNul", napix::to_js(env, std::string("x\0y", 3)));
  set("emoji", napix::to_js(env, std::string("\xF0\x9F\x98\x80")));
  set("invalidUtf8", napix::to_js(env, std::string("a\xFF"
                                                   "b")));
  set("loneSurrogate", napix::to_js(env, std::u16string(1, u'\xD800')));
  set("emptyString", napix::to_js(env, std::string()));
  set("monostate", napix::to_js(env, std::monostate{}));
  set("nullptr", napix::to_js(env, nullptr));
  set("void", napix::to_js(env));
  set("protoKey", napix::to_js(env, std::map<std::string, int>{{"__proto__", 1}, {"a", 2}}));
  set("nulKey", napix::to_js(env, std::map<std::string, int>{{std::string("k\0z", 3), 1}}));
  set("tuple", napix::to_js(env, std::make_tuple(1, std::string("two"), true)));
  set("pair", napix::to_js(env, std::make_pair(std::string("k"), 2.5)));
  set("array", napix::to_js(env, std::array<int, 3>{7, 8, 9}));
  set("vectorBool", napix::to_js(env, std::vector<bool>{true, false}));
  set("nested", napix::to_js(env, t::Nested{std::nullopt, t::Nested::value_type::value_type{
                                                              {"k", std::make_tuple(1, "v")}}}));
  set("point", napix::to_js(env, Point{1, 2, "p"}));
  set("points", napix::to_js(env, std::vector<Point>{{1, 2, "a"}, {3, 4, "b"}}));
  set("color", napix::to_js(env, Color::green));
  set("passthrough", napix::to_js(env, Napi::String::New(env, "same")));
  static int external_target = 42;
  set("external", napix::to_js(env, Napi::External<int>::New(env, &external_target)));
  return out;
}

// toJsWhilePending(error): throws `error` through Node-API, then converts a vector: the failing
// napi_set_element must let the original exception through in both modes.
Napi::Value to_js_while_pending(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napi_throw(env, info[0]);
  return napix::to_js(env, std::vector<int>{1, 2, 3});
}

// fromVoid(v): from_js<void> and try_from_js<void> accept anything.
Napi::Value from_void(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool ok = napix::try_from_js<void>(info[0]).ok();
#if NAPIX_EXCEPTIONS
  napix::from_js<void>(info[0]);
#else
  ok = ok && napix::from_js<void>(info[0]).ok();
#endif
  return napix::to_js(env, ok);
}

// Example for doc/convert.md: the length of a polyline given as [{x, y, label}, ...].
Napi::Value polyline_length(const Napi::CallbackInfo& info) {
#if NAPIX_EXCEPTIONS
  std::vector<Point> points = napix::from_js<std::vector<Point>>(info[0]);  // throws on failure
#else
  napix::Result<std::vector<Point>> parsed = napix::from_js<std::vector<Point>>(info[0]);
  if (!parsed) {
    napix::throw_js(info.Env(), parsed.error());  // keeps a JS exception already pending
    return Napi::Value();
  }
  std::vector<Point> points = std::move(*parsed);
#endif
  double length = 0;
  for (std::size_t i = 1; i < points.size(); ++i) {
    length += std::hypot(points[i].x - points[i - 1].x, points[i].y - points[i - 1].y);
  }
  return napix::to_js(info.Env(), length);
}

// Example for doc/convert.md: try_from_js never throws, in either mode.
Napi::Value port_or_default(const Napi::CallbackInfo& info) {
  napix::Result<std::uint16_t> port = napix::try_from_js<std::uint16_t>(info[0]);
  return napix::to_js(info.Env(), port.ok() ? *port : std::uint16_t{8080});
}

// Example for doc/convert.md: at most 1000 ids, whatever the global limit is.
Napi::Value count_ids(const Napi::CallbackInfo& info) {
  napix::ConvertLimits limits;
  limits.max_elements = 1000;
  napix::Result<std::vector<std::uint32_t>> ids =
      napix::try_from_js<std::vector<std::uint32_t>>(info[0], limits);
  if (!ids) {
    napix::throw_js(info.Env(), ids.error());  // expected array of at most 1000 elements, got ...
    return Napi::Value();
  }
  return napix::to_js(info.Env(), ids->size());
}

// pathOf(): messages at a path built with push_key / push_index, then at the top again.
Napi::Value path_of(const Napi::CallbackInfo& info) {
  napix::ConvertContext cx(info.Env());
  std::string out;
  {
    auto s0 = cx.push_index(2);
    auto s1 = cx.push_key("size");
    auto s2 = cx.push_key("a b");
    auto s3 = cx.push_index(0);
    out = cx.message("number", "string");
  }
  {
    auto s0 = cx.push_key("first");
    auto s1 = cx.push_key("");
    auto s2 = cx.push_key("q\"\n");
    out += "|" + cx.message("number", "string");
  }
  out += "|" + cx.message("number", "string");
  return napix::to_js(info.Env(), out);
}

// clang-format off
#define NAPIX_TEST_INTEGER_TYPES(X)                                                              \
  X(Char) X(SignedChar) X(UnsignedChar) X(Short) X(UnsignedShort) X(Int) X(UnsignedInt) X(Long) \
  X(UnsignedLong) X(LongLong) X(UnsignedLongLong) X(Char16) X(Char32) X(WChar) X(Int8) X(Uint8) \
  X(Int16) X(Uint16) X(Int32) X(Uint32) X(Int64) X(Uint64)
// clang-format on

// limits.<Name>: [min, max] as decimal strings, from std::numeric_limits (the platform's char,
// wchar_t and long differ).
template <class I>
Napi::Value limits_of(Napi::Env env) {
  auto text = [](I v) {
    return std::is_signed_v<I> ? std::to_string(static_cast<long long>(v))
                               : std::to_string(static_cast<unsigned long long>(v));
  };
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, text(std::numeric_limits<I>::min()));
  out.Set(1u, text(std::numeric_limits<I>::max()));
  return out;
}

}  // namespace

void init_convert(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
  Napi::Object roundtrips = Napi::Object::New(env);
  Napi::Object tries = Napi::Object::New(env);
#define NAPIX_TEST_REGISTER(Name)                         \
  napix_test::add(roundtrips, #Name, roundtrip<t::Name>); \
  napix_test::add(tries, #Name, try_from<t::Name>);
  NAPIX_TEST_CONVERT_TYPES(NAPIX_TEST_REGISTER)
#undef NAPIX_TEST_REGISTER
  o.Set("roundtrip", roundtrips);
  o.Set("tryFrom", tries);
  Napi::Object limiteds = Napi::Object::New(env);
  Napi::Object try_limiteds = Napi::Object::New(env);
#define NAPIX_TEST_REGISTER(Name)                     \
  napix_test::add(limiteds, #Name, limited<t::Name>); \
  napix_test::add(try_limiteds, #Name, try_limited<t::Name>);
  NAPIX_TEST_LIMITED_TYPES(NAPIX_TEST_REGISTER)
#undef NAPIX_TEST_REGISTER
  o.Set("limited", limiteds);
  o.Set("tryLimited", try_limiteds);
  napix_test::add(o, "setLimits", set_limits);
  napix_test::add(o, "getLimits", get_limits);
  o.Set("defaultMaxElements",
        napix::to_js(env, std::uint32_t{napix::ConvertLimits::kDefaultMaxElements}));
  napix_test::add(o, "fromJsDetail", from_js_detail);
  napix_test::add(o, "made", made);
  napix_test::add(o, "toJsWhilePending", to_js_while_pending);
  napix_test::add(o, "fromVoid", from_void);
  napix_test::add(o, "pathOf", path_of);
  napix_test::add(o, "polylineLength", polyline_length);
  napix_test::add(o, "portOrDefault", port_or_default);
  napix_test::add(o, "countIds", count_ids);
  Napi::Object limits = Napi::Object::New(env);
#define NAPIX_TEST_LIMITS(Name) limits.Set(#Name, limits_of<t::Name>(env));
  NAPIX_TEST_INTEGER_TYPES(NAPIX_TEST_LIMITS)
#undef NAPIX_TEST_LIMITS
  o.Set("limits", limits);
  o.Set("maxDepth", napix::to_js(env, napix::ConvertContext::kMaxDepth));
  exports.Set("convert", o);
}
