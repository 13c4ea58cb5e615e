// JS → native streams (issue 16, reader half), driven by bench/run.js's "reader" part. A napix
// task on the libuv pool sums the numbers JS hands it; JS times from the call to the promise.
// readerSum(iterable, hwm) -> Promise<number>: napix::reader<double> over a JS async iterable,
//   one read() per value (the pump prefetches `hwm` values and hands them over in batches).
// callSyncSum(next) -> Promise<number>: the alternative without napix::reader, one
//   ThreadSafeCallback::call_sync<double>() per value: `next()` returns the next value of a
//   synchronous generator, or -1 at the end (call_sync cannot await an async generator's promise
//   per value cheaply; the sync generator flatters the baseline).
#include <memory>
#include <optional>

#include "napix.h"

namespace {

Napi::Value ReaderSum(const Napi::CallbackInfo& info) {
  napix::ReaderOptions options;
  options.high_water_mark = static_cast<std::size_t>(info[1].As<Napi::Number>().Int64Value());
  auto numbers = std::make_shared<napix::StreamReader<double>>(napix::reader<double>(info[0], options));
  return napix::task(info.Env(), [numbers] {
           double total = 0;
           while (std::optional<double> v = numbers->read()) total += *v;
           return total;
         })
      .promise();
}

Napi::Value CallSyncSum(const Napi::CallbackInfo& info) {
  napix::ThreadSafeCallback next(info[0].As<Napi::Function>());
  return napix::task(info.Env(), [next] {
           double total = 0;
           for (;;) {
             double v = next.call_sync<double>();
             if (v < 0) break;
             total += v;
           }
           return total;
         })
      .promise();
}

}  // namespace

void init_reader_bench(Napi::Env env, Napi::Object exports) {
  exports.Set("readerSum", Napi::Function::New(env, ReaderSum, "readerSum"));
  exports.Set("callSyncSum", Napi::Function::New(env, CallSyncSum, "callSyncSum"));
}
