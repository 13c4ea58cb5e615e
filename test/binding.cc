// The test addon: one module built twice (C++ exceptions on and off) from the same sources.
#include "common.h"

namespace {

Napi::Value join_threads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(napix_test::state(info.Env()).join()));
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new napix_test::EnvState());
  napix_test::add(exports, "joinThreads", join_threads);
  exports.Set("exceptions", Napi::Boolean::New(env, NAPIX_EXCEPTIONS != 0));
  exports.Set("napixVersion", Napi::String::New(env, NAPIX_VERSION_STRING));
  init_error(env, exports);
  init_convert(env, exports);
  init_doc_snippets(env, exports);
  init_doc_guides(env, exports);
  init_channel(env, exports);
  init_threadsafe_callback(env, exports);
  init_promise(env, exports);
  init_task(env, exports);
  init_stress(env, exports);
  init_delivery(env, exports);
  init_stream(env, exports);
  init_completions(env, exports);
  init_persistent(env, exports);
  init_bytes(env, exports);
  init_cancel(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, init)
