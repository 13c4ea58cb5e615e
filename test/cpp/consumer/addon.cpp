// The smallest napix addon: hello(name) -> "hello " + name, through napix's conversions.
#include <napix.h>

static Napi::Value hello(const Napi::CallbackInfo& info) {
  return napix::to_js(info.Env(), "hello " + napix::from_js<std::string>(info[0]));
}

static Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("hello", Napi::Function::New(env, hello, "hello"));
  exports.Set("version", napix::to_js(env, NAPIX_VERSION_STRING));
  return exports;
}

NODE_API_MODULE(consumer, init)
