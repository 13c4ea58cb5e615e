// The test addon: one module built twice (C++ exceptions on and off) from the same sources.
#include "common.h"

namespace {

Napi::Value join_threads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(napix_test::state(info.Env()).join()));
}

}  // namespace

// NAPIX_MODULE: the test addon is itself a napix module (napix-dts reads its declarations).
NAPIX_MODULE(NODE_GYP_MODULE_NAME, m) {
  Napi::Env env = m.env();
  Napi::Object exports = m.exports();
  env.SetInstanceData(new napix_test::EnvState());
  napix_test::add(exports, "joinThreads", join_threads);
  m.set("exceptions", NAPIX_EXCEPTIONS != 0);
  m.set("napixVersion", NAPIX_VERSION_STRING);
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
  init_reader(env, exports);
  init_function(m);
}
