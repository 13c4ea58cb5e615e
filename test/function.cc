// Test functions for napix/function.h: function(), async_function(), Module and the TypeScript
// signatures. Built with C++ exceptions on and off; every function here is one line of `def`.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "common.h"

namespace fn_test {

// A user type with a TypeScript name, and one without (declared `unknown`).
struct Size {
  double width = 0;
  double height = 0;
};
struct Opaque {
  int id = 0;
};

// Where a value was converted from JS (the async tests check it was the JS thread).
struct ThreadProbe {
  std::thread::id converted_on;
};

// Live functors holding state on the heap (the finalizer frees them with their function).
std::atomic<long>& live_functors() {
  static auto* n = new std::atomic<long>(0);
  return *n;
}
struct Tracked {
  std::string prefix;
  explicit Tracked(std::string p) : prefix(std::move(p)) { live_functors()++; }
  Tracked(const Tracked& o) : prefix(o.prefix) { live_functors()++; }
  Tracked(Tracked&& o) noexcept : prefix(std::move(o.prefix)) { live_functors()++; }
  ~Tracked() { live_functors()--; }
  std::string operator()(const std::string& s) const { return prefix + s; }
};

// Process-wide, never destroyed: pool threads may still touch them.
struct AsyncCounters {
  std::atomic<long> executed{0}, started{0}, observed{0};
};
AsyncCounters& counters() {
  static auto* c = new AsyncCounters();
  return *c;
}

struct Adder {
  int base;
  int add(int x) const { return base + x; }
};

}  // namespace fn_test

namespace napix {
template <>
struct Converter<fn_test::Size> {
  static constexpr const char* ts_type = "{ width: number; height: number }";
  static Napi::Value to_js(Napi::Env env, const fn_test::Size& s) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("width", s.width);
    out.Set("height", s.height);
    return out;
  }
  static std::optional<fn_test::Size> from_js(Napi::Value value, ConvertContext& cx) {
    std::optional<double> width = cx.field<double>(value, "width");
    std::optional<double> height = cx.field<double>(value, "height");
    if (!width || !height) return std::nullopt;
    return fn_test::Size{*width, *height};
  }
};
template <>
struct Converter<fn_test::Opaque> {
  static Napi::Value to_js(Napi::Env env, const fn_test::Opaque& o) { return napix::to_js(env, o.id); }
  static std::optional<fn_test::Opaque> from_js(Napi::Value value, ConvertContext& cx) {
    std::optional<int> id = cx.convert<int>(value);
    if (!id) return std::nullopt;
    return fn_test::Opaque{*id};
  }
};
template <>
struct Converter<fn_test::ThreadProbe> {
  static std::optional<fn_test::ThreadProbe> from_js(Napi::Value, ConvertContext&) {
    return fn_test::ThreadProbe{std::this_thread::get_id()};
  }
};
}  // namespace napix

namespace {

using namespace fn_test;

int add(int a, int b) { return a + b; }

double area(const Size& s) noexcept { return s.width * s.height; }

void define_conversions(napix::Module& m) {
  // Every built-in conversion as a parameter and as a result.
  m.def("idBool", [](bool v) { return v; });
  m.def("idInt8", [](std::int8_t v) { return v; });
  m.def("idUint16", [](std::uint16_t v) { return v; });
  m.def("idInt32", [](std::int32_t v) { return v; });
  m.def("idUint32", [](std::uint32_t v) { return v; });
  m.def("idInt64", [](std::int64_t v) { return v; });
  m.def("idUint64", [](std::uint64_t v) { return v; });
  m.def("idFloat", [](float v) { return v; });
  m.def("idDouble", [](double v) { return v; });
  m.def("idString", [](std::string v) { return v; });
  m.def("idU16String", [](const std::u16string& v) { return v; });
  m.def("idVector", [](std::vector<double> v) { return v; });
  m.def("idBytes", [](std::vector<std::uint8_t> v) { return v; });
  m.def("idArray", [](std::array<int, 3> v) { return v; });
  m.def("idTuple", [](std::tuple<int, std::string, bool> v) { return v; });
  m.def("idPair", [](std::pair<std::string, double> v) { return v; });
  m.def("idMap", [](std::map<std::string, int> v) { return v; });
  m.def("idUnorderedMap", [](std::unordered_map<std::string, std::vector<std::string>> v) { return v; });
  m.def("idOptional", [](std::optional<int> v) { return v; });
  m.def("idMonostate", [](std::monostate v) { return v; });
  m.def("idNull", [](std::nullptr_t v) { return v; });
  m.def("idValue", [](Napi::Value v) { return v; });
  m.def("idObject", [](Napi::Object v) { return v; });
  m.def("idFunction", [](Napi::Function v) { return v; });
  m.def("idSize", [](Size v) { return v; });
  m.def("idOpaque", [](Opaque v) { return v; });
  m.def("cString", [] { return "literal"; });
  m.def("cStringPointer", [](bool null) -> const char* { return null ? nullptr : "pointer"; });
  m.def("stringView", [] { return std::string_view("view"); });
}

void define_calls(napix::Module& m) {
  m.def("add", add);
  m.def("area", area);
  m.def("greet", [](std::string name, std::optional<std::string> greeting) {
    return greeting.value_or("hello") + " " + name;
  });
  m.def("middleOptional", [](std::optional<int> a, int b) { return a.value_or(-1) + b; });
  m.def("passThrough", [](Napi::Env env, const Napi::CallbackInfo& info, Napi::Value v, int n) {
    Napi::Array out = Napi::Array::New(env, 4);
    out.Set(0u, double(info.Length()));
    out.Set(1u, v);
    out.Set(2u, n);
    out.Set(3u, info.This());
    return out;
  });
  m.def("envOnly", [](Napi::Env env) { return env.Global(); });
  m.def("sumSizes", [](const std::vector<Size>& sizes) {
    double total = 0;
    for (const Size& s : sizes) total += area(s);
    return total;
  });
  m.def("nothing", [] {});
  m.def("checked", [](int n) -> napix::Result<int> {
    if (n > 10) return napix::Error::range_error("too big: " + std::to_string(n), "ERR_TOO_BIG");
    return n * 2;
  });
  m.def("checkedVoid", [](bool fail) -> napix::Result<void> {
    if (fail) return napix::Error("CustomError", "it failed", "ERR_CUSTOM");
    return {};
  });
  // A JS exception left pending by raw Node-API: it propagates in both modes.
  m.def("pending", [](Napi::Env env, std::string message) {
    napi_throw_error(env, "ERR_PENDING", message.c_str());
    return 0;
  });
  m.def("functor", Tracked("tracked:"));
  Adder adder{100};
  m.def("member", [adder](int x) { return adder.add(x); });
  m.def("mutableCounter", [n = 0]() mutable { return ++n; });
#if NAPIX_EXCEPTIONS
  m.def("throwsCpp", [](std::string message) -> int { throw std::runtime_error(message); });
  m.def("throwsNapi", [](Napi::Env env) -> int {
    throw Napi::TypeError::New(env, "napi type error");
  });
  m.def("throwsJsError", []() -> int { throw napix::JsError("RangeError", "js error", "", "ERR_JS"); });
  m.def("throwsOther", []() -> int { throw 42; });
#endif
  // New functions, each with its own heap functor: the finalizer frees it with the function.
  m.def("makeTracked", [](Napi::Env env, std::string prefix) {
    return napix::function(env, Tracked(std::move(prefix)), "tracked");
  });
  m.def("liveFunctors", [] { return static_cast<double>(live_functors().load()); });
  m.def("anonymous", [](Napi::Env env) { return napix::function(env, [] { return 1; }); });
}

void define_async(napix::Module& m, std::thread::id js_thread) {
  m.def_async("addLater", [](int a, int b) { return a + b; });
  m.def_async("offThread", [js_thread] { return std::this_thread::get_id() != js_thread; });
  m.def_async("probe", [js_thread](ThreadProbe probe) {
    return std::vector<bool>{probe.converted_on == js_thread,
                             std::this_thread::get_id() != js_thread};
  });
  m.def_async("doubleIt", [](std::int64_t n) {
    counters().executed++;
    return n * 2;
  });
  m.def_async("concat", Tracked("async:"));
  m.def_async("failing", [](std::string message) -> napix::Result<std::string> {
    return napix::Error::range_error(message, "ERR_ASYNC");
  });
#if NAPIX_EXCEPTIONS
  m.def_async("throwsAsync", [](std::string message) -> int { throw std::runtime_error(message); });
#endif
  m.def_async("countTo", [](napix::TaskContext& ctx, int n) {
    for (int i = 0; i < n; ++i) ctx.progress(i);
    return n;
  });
  // Spins until cancelled (or 10 s): the abort-during-the-run test.
  m.def_async("untilCancelled", [](napix::TaskContext& ctx) {
    counters().started++;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!ctx.cancelled() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    if (ctx.cancelled()) counters().observed++;
    return ctx.cancelled();
  });
  m.def_async("bytesLength", [](std::vector<std::uint8_t> bytes, std::optional<int> extra) {
    return static_cast<double>(bytes.size()) + extra.value_or(0);
  });
  m.def_async("nothingAsync", [] {});
  m.def("asyncCounters", [] {
    return std::map<std::string, double>{{"executed", double(counters().executed.load())},
                                         {"started", double(counters().started.load())},
                                         {"observed", double(counters().observed.load())}};
  });
  m.def("resetAsyncCounters", [] {
    counters().executed = 0;
    counters().started = 0;
    counters().observed = 0;
  });
}

}  // namespace

void init_function(napix::Module& root) {
  Napi::Env env = root.env();
  // Top-level declarations (napix-dts: `export declare function`), then the rest in `fn`
  // (napix-dts: `export declare const fn: { ... }`).
  root.def("fnAdd", add);
  root.def_async("fnAddLater", [](double a, double b) { return a + b; });
  root.set("fnAnswer", 42);
  root.set("fnGreeting", "hi");
  root.set("fnLimits", std::map<std::string, std::int64_t>{{"max", 9007199254740993LL}});
  Napi::Object fn = Napi::Object::New(env);
  napix::Module m(env, fn);
  define_conversions(m);
  define_calls(m);
  define_async(m, std::this_thread::get_id());
  root.exports().Set("fn", fn);
}
