// Compile-fail test (test/cpp/compile_fail.cmake): a TypedThreadSafeCallback call whose arguments
// do not convert to the signature's must not compile. Built once with NAPIX_CONTROL (must compile,
// proving the setup is right) and once without (must fail, naming the call).
#include <napix/typed_threadsafe_callback.h>

#include <string>

void napix_compile_fail(const napix::TypedThreadSafeCallback<void(int)>& cb) {
#ifdef NAPIX_CONTROL
  cb.call(1);
#else
  cb.call(std::string("not an int"));
#endif
}
