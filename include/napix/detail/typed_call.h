// napix/detail/typed_call.h — one queued TypedThreadSafeCallback call: the arguments as a
// `std::tuple<Args...>` plus one completion pointer (a `void(int)` call is 12 bytes), or a boxed
// Channel closure sent through the callback's `channel()`.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <future>
#include <new>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include "js_call.h"
#include "outcome.h"
#include "visibility.h"
#include "waiter.h"

namespace napix {
namespace detail {

/// call_async: owns the promise; deletes itself once completed.
template <class R>
class AsyncCompletion final : public Completion<R> {
 public:
  std::future<Fallible<R>> get_future() { return slot_.get_future(); }
  void complete(Outcome<R>&& outcome) override {
    slot_.complete(std::move(outcome));
    delete this;
  }

 private:
  PromiseSlot<R> slot_;
};

/// call_sync: lives on the blocked caller's stack.
template <class R>
class SyncCompletion final : public Completion<R> {
 public:
  void complete(Outcome<R>&& outcome) override { waiter_.set(std::move(outcome)); }
  Outcome<R> wait() { return waiter_.wait(); }

 private:
  OneShot<Outcome<R>> waiter_;
};

/// Adapts a Completion to the slot interface call_and_complete expects.
template <class R>
class CompletionSlot {
 public:
  explicit CompletionSlot(Completion<R>* c) noexcept : c_(c) {}
  CompletionSlot(CompletionSlot&& other) noexcept : c_(std::exchange(other.c_, nullptr)) {}
  CompletionSlot& operator=(CompletionSlot&&) = delete;
  ~CompletionSlot() {
    if (c_ != nullptr) c_->complete(Outcome<R>::unrun());
  }
  void complete(Outcome<R>&& outcome) { std::exchange(c_, nullptr)->complete(std::move(outcome)); }

 private:
  Completion<R>* c_;
};

/// One queued typed call: the arguments and, for call_async/call_sync, where the result goes.
/// Destroyed unrun, it completes that with "closing". The pointer is kept as bytes so that it adds
/// exactly 8 bytes whatever the arguments' alignment: a void(int) call is 12 bytes, not 16.
///
/// Or a Channel closure sent through the callback's `channel()`, boxed on the heap: the low bit
/// of the pointer word says so (Completion pointers are aligned) and the argument bytes are unused.
template <class R, class... Args>
class TypedCall {
  using Tuple = std::tuple<Args...>;
  NAPIX_LOCAL static constexpr std::uintptr_t kJob = 1;

 public:
  TypedCall(Completion<R>* done, Args&&... args) {
    ::new (static_cast<void*>(args_)) Tuple(std::move(args)...);
    set_word(reinterpret_cast<std::uintptr_t>(done));
  }
  explicit TypedCall(ChannelJob&& job) {
    set_word(reinterpret_cast<std::uintptr_t>(new ChannelJob(std::move(job))) | kJob);
  }
  TypedCall(TypedCall&& other) noexcept(std::is_nothrow_move_constructible_v<Tuple>) {
    const std::uintptr_t w = other.word();
    if ((w & kJob) == 0) ::new (static_cast<void*>(args_)) Tuple(std::move(other.tuple()));
    set_word(w);
    other.set_word(w & kJob);  // moved-from: no completion, no job (a typed one keeps its tuple)
  }
  // The queue compacts by move-assignment; arguments only need to be move-constructible.
  TypedCall& operator=(TypedCall&& other) noexcept(std::is_nothrow_move_constructible_v<Tuple>) {
    if (this != &other) {
      this->~TypedCall();
      new (this) TypedCall(std::move(other));  // NOLINT: same type, same storage
    }
    return *this;
  }
  ~TypedCall() {
    const std::uintptr_t w = word();
    if ((w & kJob) != 0) {
      delete reinterpret_cast<ChannelJob*>(w & ~kJob);  // a closure destroyed unrun
      return;
    }
    if (auto* done = reinterpret_cast<Completion<R>*>(w)) done->complete(Outcome<R>::unrun());
    tuple().~Tuple();
  }

  /// The boxed Channel closure, taken back (empty for a typed call): a refused push hands it back
  /// to its sender. Thread: any.
  ChannelJob take_job() noexcept {
    const std::uintptr_t w = word();
    if ((w & kJob) == 0 || (w & ~kJob) == 0) return ChannelJob();
    set_word(kJob);
    std::unique_ptr<ChannelJob> job(reinterpret_cast<ChannelJob*>(w & ~kJob));
    return std::move(*job);
  }

  void operator()(const RunContext& cx) {
    const std::uintptr_t w = word();
    if ((w & kJob) != 0) {
      set_word(kJob);
      std::unique_ptr<ChannelJob> job(reinterpret_cast<ChannelJob*>(w & ~kJob));
      if (job) (*job)(cx);
      return;
    }
    set_word(0);
    auto* done = reinterpret_cast<Completion<R>*>(w);
    if (done == nullptr) {
      napi_value ignored;
      call_js(cx, tuple(), std::index_sequence_for<Args...>{}, &ignored);
      return;  // a pending exception is the dispatcher's: uncaughtException
    }
    if (!done->start()) {  // its call_sync_for caller gave up before it started: JS never sees it
      done->complete(Outcome<R>::unrun());
      return;
    }
    call_and_complete<R>(cx, tuple(), CompletionSlot<R>(done));
  }

 private:
  Tuple& tuple() noexcept { return *std::launder(reinterpret_cast<Tuple*>(args_)); }
  std::uintptr_t word() const noexcept {
    std::uintptr_t w;
    std::memcpy(&w, done_, sizeof w);
    return w;
  }
  void set_word(std::uintptr_t w) noexcept { std::memcpy(done_, &w, sizeof w); }

  alignas(Tuple) unsigned char args_[sizeof(Tuple)];
  unsigned char done_[sizeof(std::uintptr_t)];
};

}  // namespace detail
}  // namespace napix
