// Every C++ block in README.md and doc/*.md is copied here verbatim (test/docs.test.js checks it),
// so the docs' code is compiled in both exception modes by `npm test`.
#include <cstdint>
#include <cstdlib>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common.h"

// doc/function.md: a user type that names its TypeScript type.
struct Size {
  double width = 0;
  double height = 0;
};

template <>
struct napix::Converter<Size> {
  static constexpr const char* ts_type = "{ width: number; height: number }";
  static Napi::Value to_js(Napi::Env env, const Size& s) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("width", s.width);
    out.Set("height", s.height);
    return out;
  }
};

namespace doc_snippets {

#if NAPIX_EXCEPTIONS
// sum([1, 2, 3]) -> 6; sum(["x"]) throws TypeError "expected number at [0], got string"
Napi::Value sum(const Napi::CallbackInfo& info) {
  auto values = napix::from_js<std::vector<double>>(info[0]);  // exceptions on
  double total = 0;
  for (double v : values) total += v;
  return napix::to_js(info.Env(), total);
}
#endif

napix::Result<int> parse_port(const std::string& s) {
  int port = std::atoi(s.c_str());
  if (port <= 0 || port > 65535) return napix::Error::range_error("port out of range: " + s);
  return port;
}
// on the JS thread: if (!r) napix::throw_js(env, r.error());

Napi::Value port_or_throw(const Napi::CallbackInfo& info) {
  napix::Result<int> r = parse_port(info[0].As<Napi::String>().Utf8Value());
  if (!r) {
    napix::throw_js(info.Env(), r.error());
    return info.Env().Undefined();
  }
  return Napi::Number::New(info.Env(), *r);
}

Napi::Value start_counting(const Napi::CallbackInfo& info) {
  napix::Channel channel(info.Env());
  auto on_tick = std::make_shared<Napi::FunctionReference>(
      Napi::Persistent(info[0].As<Napi::Function>()));
  std::thread([channel, on_tick] {
    for (int i = 1; i <= 3; ++i) {
      channel.send([on_tick, i](Napi::Env env) { on_tick->Call({Napi::Number::New(env, i)}); });
    }
    // The last closure drops the reference on the JS thread, where it must be released.
    channel.send([on_tick](Napi::Env) mutable { on_tick->Reset(); });
  }).detach();
  return info.Env().Undefined();
}

// On a native thread: ask the JS thread for a value and wait for it.
int read_answer(const napix::Channel& channel) {
#if NAPIX_EXCEPTIONS
  return channel.send_sync([](Napi::Env env) {
    return env.Global().Get("answer").As<Napi::Number>().Int32Value();
  });
#else
  napix::Result<int> r = channel.send_sync([](Napi::Env env) {
    return env.Global().Get("answer").As<Napi::Number>().Int32Value();
  });
  return r ? *r : -1;
#endif
}

Napi::Value watch(const Napi::CallbackInfo& info) {
  napix::ThreadSafeCallback on_event(info[0].As<Napi::Function>());
  std::thread([on_event] {
    on_event.call(std::string("started"), 1);  // arguments converted by to_js on the JS thread
    on_event.call([](Napi::Env env, Napi::Value self, Napi::Function fn) {
      fn.Call(self, {Napi::String::New(env, "done")});  // or take full control
    });
  }).detach();
  return info.Env().Undefined();
}

// `ask` is a JS function (maybe async) returning a number.
double ask_js(const napix::ThreadSafeCallback& ask, int question) {
#if NAPIX_EXCEPTIONS
  return ask.call_sync<double>(question);
#else
  napix::Result<double> r = ask.call_sync<double>(question);
  return r ? *r : 0.0;
#endif
}

Napi::Value stream_numbers(const Napi::CallbackInfo& info) {
  napix::TypedThreadSafeCallback<void(int)> on_number(info[0].As<Napi::Function>());
  std::thread([on_number] {
    for (int i = 0; i < 1000; ++i) on_number.call(i);
  }).detach();
  return info.Env().Undefined();
}

// countUp(n) -> an async iterable of 0 .. n-1, written by a native thread (doc/stream.md).
Napi::Value count_up(const Napi::CallbackInfo& info) {
  std::uint32_t n = info[0].As<Napi::Number>().Uint32Value();
  auto [writer, numbers] = napix::stream<std::uint32_t>(info.Env());
  std::thread([writer = writer, n] {
    for (std::uint32_t i = 0; i < n; ++i) {
      if (writer.write(i) != napix::Status::ok) return;  // the reader stopped
    }
    writer.end();
  }).detach();
  return numbers;
}

// sumStream(asyncIterable) -> Promise<number>: a task on the libuv pool adds up the numbers a
// JS async iterable (async generator, Readable, ReadableStream) yields (doc/stream.md).
Napi::Value sum_stream(const Napi::CallbackInfo& info) {
  napix::StreamReader<double> numbers = napix::reader<double>(info[0]);  // JS thread
  if (info.Env().IsExceptionPending()) return Napi::Value();  // exceptions off: not iterable
  return napix::task(info.Env(), [numbers = std::move(numbers)]() mutable -> napix::Result<double> {
    double total = 0;
#if NAPIX_EXCEPTIONS
    while (std::optional<double> v = numbers.read()) total += *v;  // a rejection throws JsError
#else
    for (;;) {
      napix::Result<std::optional<double>> v = numbers.read();
      if (!v) return v.error();  // the rejection (or a conversion error) rejects the promise
      if (!*v) break;
      total += **v;
    }
#endif
    return total;
  }).promise();
}

// compute(n) -> Promise<number>: the work runs on a std::thread, the promise settles on the JS
// thread through a Channel.
Napi::Value compute(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  auto [deferred, promise] = napix::promise(info.Env());
  napix::Channel channel(info.Env());
  std::thread([channel, n, deferred = std::move(deferred)]() mutable {
    long long sum = 0;
    for (int i = 1; i <= n; ++i) sum += i;
    channel.settle_with(std::move(deferred), [sum](Napi::Env) { return double(sum); });
  }).detach();
  return promise;
}

Napi::Value maybe_later(const Napi::CallbackInfo& info) {
  auto [deferred, promise] = napix::promise(info.Env());
  if (info[0].As<Napi::Boolean>().Value()) {
    deferred.resolve(std::string("now"));
  }
  // Otherwise `deferred` is destroyed here: the promise rejects with ERR_NAPIX_DEFERRED_DROPPED.
  return promise;
}

// A native thread waits for a JS promise (never do this on the JS thread: it would block the
// loop that settles the promise).
Napi::Value wait_on_thread(const Napi::CallbackInfo& info) {
  auto future = std::make_shared<std::future<napix::Fallible<double>>>(
      napix::to_future<double>(info[0]));
  std::thread([future] {
    napix::Fallible<double> value = future->get();  // exceptions on: throws JsError on rejection
    (void)value;
  }).detach();
  return info.Env().Undefined();
}

// readAnswer() and askJs(fn, q): the blocking snippets, from a thread, reported via a promise.
template <class Work>
Napi::Value on_thread(Napi::Env env, Work work) {
  napix::Channel reply(env);
  auto deferred = std::make_shared<Napi::Promise::Deferred>(env);
  std::thread([reply, deferred, work]() mutable {
    double v = work();
    reply.send([deferred, v](Napi::Env env) { deferred->Resolve(Napi::Number::New(env, v)); });
  }).detach();
  return deferred->Promise();
}

Napi::Value read_answer_js(const Napi::CallbackInfo& info) {
  napix::Channel channel(info.Env());
  return on_thread(info.Env(), [channel] { return double(read_answer(channel)); });
}

Napi::Value ask_js_js(const Napi::CallbackInfo& info) {
  napix::ThreadSafeCallback ask(info[0].As<Napi::Function>());
  int q = info[1].As<Napi::Number>().Int32Value();
  return on_thread(info.Env(), [ask, q] { return ask_js(ask, q); });
}

// doc/function.md
napix::Result<double> safe_divide(double a, double b) {
  if (b == 0) return napix::Error::range_error("division by zero", "ERR_DIVISION_BY_ZERO");
  return a / b;
}

// doc/function.md: napix::Module inside an existing node-addon-api Init.
Napi::Object init(Napi::Env env, Napi::Object exports) {
  napix::Module m(env, exports);
  m.def("safeDivide", safe_divide);
  m.set("version", "1.0.0");
  Napi::Object math = Napi::Object::New(env);
  napix::Module(env, math).def("add", [](double a, double b) { return a + b; });
  exports.Set("math", math);
  return exports;
}

}  // namespace doc_snippets

void init_doc_snippets(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
#if NAPIX_EXCEPTIONS
  napix_test::add(o, "sum", doc_snippets::sum);
#endif
  napix_test::add(o, "portOrThrow", doc_snippets::port_or_throw);
  napix_test::add(o, "startCounting", doc_snippets::start_counting);
  napix_test::add(o, "readAnswer", doc_snippets::read_answer_js);
  napix_test::add(o, "watch", doc_snippets::watch);
  napix_test::add(o, "askJs", doc_snippets::ask_js_js);
  napix_test::add(o, "streamNumbers", doc_snippets::stream_numbers);
  napix_test::add(o, "countUp", doc_snippets::count_up);
  napix_test::add(o, "sumStream", doc_snippets::sum_stream);
  napix_test::add(o, "compute", doc_snippets::compute);
  napix_test::add(o, "maybeLater", doc_snippets::maybe_later);
  o.Set("module", doc_snippets::init(env, Napi::Object::New(env)));
  napix::Module(env, o).def("unitSquare", [] { return Size{1, 1}; });
  exports.Set("docs", o);
}
