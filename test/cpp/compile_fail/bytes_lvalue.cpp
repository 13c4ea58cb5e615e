// Compile-fail test (test/cpp/compile_fail.cmake): to_js of a napix::Bytes lvalue must not compile
// (the Buffer takes the memory: the caller has to say std::move). Built once with NAPIX_CONTROL
// (must compile) and once without (must fail with napix's message).
#include <napix/bytes.h>

#include <utility>

Napi::Value napix_compile_fail(Napi::Env env, napix::Bytes& bytes) {
#ifdef NAPIX_CONTROL
  return napix::to_js(env, std::move(bytes));
#else
  return napix::to_js(env, bytes);
#endif
}
