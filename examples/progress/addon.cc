// progress — a long C++ computation on its own std::thread that reports its progress to
// JavaScript while it runs, then settles a promise with the result.
//
//   countPrimes(limit, onProgress) -> Promise<number>
//
// onProgress(percent) is called with 0, 1, ..., 100 on the JS thread; the promise resolves with
// the number of primes below `limit` after the last progress call has run.
#include <napix.h>

#include <cstdint>
#include <thread>
#include <utility>

namespace {

// Trial division: slow on purpose, so that there is some progress worth showing.
bool is_prime(std::uint32_t n) {
  if (n < 2) return false;
  for (std::uint32_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

Napi::Value count_primes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // from_js checks the JS values: a wrong type or range throws a TypeError/RangeError to JS.
  auto limit = napix::from_js<std::uint32_t>(info[0]);
  auto on_progress_fn = napix::from_js<Napi::Function>(info[1]);
  if (limit == 0) throw Napi::RangeError::New(env, "limit must be at least 1");

  // Made here, on the JS thread; copies may then be used and destroyed on any thread. While a
  // copy exists the event loop stays alive, so the process waits for the thread's last call.
  napix::ThreadSafeCallback on_progress(on_progress_fn);
  auto [deferred, promise] = napix::promise(env);

  std::thread([limit, on_progress, deferred = std::move(deferred)]() mutable {
    std::uint32_t count = 0;
    int reported = -1;
    for (std::uint32_t n = 0; n < limit; ++n) {
      if (is_prime(n)) ++count;
      int percent = static_cast<int>(std::uint64_t{n + 1} * 100 / limit);
      if (percent != reported) {  // at most 101 calls into JS, not one per number
        reported = percent;
        // Queued without blocking; `percent` becomes a JS number on the JS thread.
        on_progress.call(percent);
      }
    }
    // channel() shares the callback's queue, so the promise settles after every progress call
    // above has run: JS sees 100% before the result.
    on_progress.channel().settle_with(std::move(deferred), [count](Napi::Env) { return count; });
    // The thread ends here and destroys its copy of on_progress: the event loop may exit.
  }).detach();  // detached is safe: the thread touches nothing but napix handles and its locals

  return promise;
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("countPrimes", Napi::Function::New(env, count_primes, "countPrimes"));
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, init)
