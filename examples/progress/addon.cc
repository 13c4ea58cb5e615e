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

// napix::function converts the JS arguments to these parameters: a wrong type or range throws a
// TypeError/RangeError naming the argument; a Result error is thrown as it is.
napix::Result<Napi::Value> count_primes(Napi::Env env, std::uint32_t limit,
                                         Napi::Function on_progress_fn) {
  if (limit == 0) return napix::Error::range_error("limit must be at least 1");

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

}  // namespace

NAPIX_MODULE(NODE_GYP_MODULE_NAME, m) {
  m.def("countPrimes", count_primes);
}
