// A second, tiny addon built with -fno-gnu-unique (binding.gyp target napix_test_unload): GCC's
// STB_GNU_UNIQUE symbols would otherwise keep it loaded and hide a missing pin (doc/design.md,
// behaviour 4).
// Loaded only inside a Worker, it leaves a native thread calling through a ThreadSafeCallback
// after the Worker is gone; that thread must keep running napix code (getting `closing`) instead
// of crashing in an unmapped shared object.
#include <napix.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace {

// orphan(fn, markerPath): the thread calls fn until it has seen `closing` 1000 times, then writes
// "done <ok> <closing>" to markerPath.
Napi::Value orphan(const Napi::CallbackInfo& info) {
  napix::ThreadSafeCallback cb(info[0].As<Napi::Function>());
  std::string marker = info[1].As<Napi::String>().Utf8Value();
  std::thread([cb, marker] {
    long ok = 0, closing = 0;
    while (closing < 1000) {
      if (cb.call(1) == napix::Status::ok) {
        ++ok;
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      } else {
        ++closing;
      }
    }
    std::ofstream(marker) << "done " << ok << " " << closing << "\n";
  }).detach();
  return info.Env().Undefined();
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("orphan", Napi::Function::New(env, orphan, "orphan"));
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, init)
