// The smallest napix addon: hello(name) -> "hello " + name, through napix's conversions.
#include <napix.h>

static Napi::Value hello(const Napi::CallbackInfo& info) {
  return napix::to_js(info.Env(), "hello " + napix::from_js<std::string>(info[0]));
}

// misuse(): Result::value() on an error, a documented std::logic_error, left to escape.
static Napi::Value misuse(const Napi::CallbackInfo& info) {
  napix::Result<int> r = napix::Error("none");
  return napix::to_js(info.Env(), r.value());
}

static Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("hello", Napi::Function::New(env, hello, "hello"));
  exports.Set("misuse", Napi::Function::New(env, misuse, "misuse"));
  exports.Set("version", napix::to_js(env, NAPIX_VERSION_STRING));
  return exports;
}

NODE_API_MODULE(consumer, init)
