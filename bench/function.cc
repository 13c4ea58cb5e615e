// napix::function / async_function benchmarks (issue 18), driven by bench/run.js's "function"
// part.
// add(a, b) with the same checks (two numbers, else a TypeError) in three designs:
//   fnAddRaw     — raw Node-API
//   fnAddNaa     — node-addon-api, hand-written (CallbackInfo, IsNumber, DoubleValue)
//   fnAddNapix   — napix::function([](double a, double b) { return a + b; })
// A trivial async function (2 * i on the libuv pool) in two designs:
//   fnAsyncNaa(i)   — a hand-written Napi::AsyncWorker + Promise::Deferred per call
//   fnAsyncNapix(i) — napix::async_function([](double i) { return 2 * i; })
#include "napix/function.h"

namespace {

napi_value raw_add(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  double a = 0, b = 0;
  for (int i = 0; i < 2; ++i) {
    napi_valuetype type;
    napi_typeof(env, argv[i], &type);
    if (type != napi_number) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected number");
      return nullptr;
    }
  }
  napi_get_value_double(env, argv[0], &a);
  napi_get_value_double(env, argv[1], &b);
  napi_value out;
  napi_create_double(env, a + b, &out);
  return out;
}

Napi::Value naa_add(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "expected number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double a = info[0].As<Napi::Number>().DoubleValue();
  double b = info[1].As<Napi::Number>().DoubleValue();
  return Napi::Number::New(env, a + b);
}

class NaaDouble : public Napi::AsyncWorker {
 public:
  NaaDouble(Napi::Env env, double in)
      : Napi::AsyncWorker(env, "bench"), deferred_(Napi::Promise::Deferred::New(env)), in_(in) {}
  Napi::Promise promise() const { return deferred_.Promise(); }
  void Execute() override { out_ = 2.0 * in_; }
  void OnOK() override { deferred_.Resolve(Napi::Number::New(Env(), out_)); }

 private:
  Napi::Promise::Deferred deferred_;
  double in_;
  double out_ = 0;
};

Napi::Value naa_async(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) {
    Napi::TypeError::New(env, "expected number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* w = new NaaDouble(env, info[0].As<Napi::Number>().DoubleValue());  // deletes itself
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

}  // namespace

void init_function_bench(Napi::Env env, Napi::Object exports) {
  napi_value raw;
  napi_create_function(env, "fnAddRaw", NAPI_AUTO_LENGTH, raw_add, nullptr, &raw);
  exports.Set("fnAddRaw", raw);
  exports.Set("fnAddNaa", Napi::Function::New(env, naa_add, "fnAddNaa"));
  napix::Module m(env, exports);
  m.def("fnAddNapix", [](double a, double b) { return a + b; });
  exports.Set("fnAsyncNaa", Napi::Function::New(env, naa_async, "fnAsyncNaa"));
  m.def_async("fnAsyncNapix", [](double i) { return 2 * i; });
}
