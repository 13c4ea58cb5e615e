// napix/detail/unique_function.h — a move-only type-erased callable with a small buffer, the item
// type of napix's closure queues (no Node-API in here).
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <type_traits>
#include <utility>

#include "visibility.h"

namespace napix {
namespace detail {

/// `UniqueFunction<R(Args...), InlineBytes>`: like C++23's `std::move_only_function`, plus a
/// guaranteed size (a pointer + `InlineBytes`) so a queued closure costs 32 bytes by default.
template <class Sig, std::size_t InlineBytes = 24>
class UniqueFunction;

template <class R, class... Args, std::size_t InlineBytes>
class UniqueFunction<R(Args...), InlineBytes> {
  static_assert(InlineBytes >= sizeof(void*),
                "UniqueFunction: InlineBytes must hold at least a pointer (the heap fallback)");

 public:
  /// Whether a callable of type F is stored in the object itself (no allocation). Needs a
  /// nothrow move so moving a queue's buffer can never fail halfway.
  template <class F>
  NAPIX_LOCAL static constexpr bool fits_inline() noexcept {
    return sizeof(F) <= InlineBytes && alignof(F) <= alignof(void*) &&
           std::is_nothrow_move_constructible_v<F>;
  }

  /// An empty function; calling it aborts. Thread: any.
  UniqueFunction() noexcept = default;
  UniqueFunction(std::nullptr_t) noexcept {}  // NOLINT implicit, like std::function

  /// Stores `f` (decayed): inline when `fits_inline<F>()`, else on the heap. A null function
  /// pointer gives an empty UniqueFunction. Thread: any.
  /// Errors: what F's constructor or `operator new` throws; nothing is stored then.
  template <
      class F, class D = std::decay_t<F>,
      std::enable_if_t<!std::is_same_v<D, UniqueFunction> && !std::is_same_v<D, std::nullptr_t>,
                       int> = 0>
  UniqueFunction(F&& f);  // NOLINT implicit, like std::function

  /// Takes `other`'s callable; `other` becomes empty. Thread: any.
  UniqueFunction(UniqueFunction&& other) noexcept { take(other); }
  UniqueFunction& operator=(UniqueFunction&& other) noexcept;
  UniqueFunction& operator=(std::nullptr_t) noexcept {
    reset();
    return *this;
  }
  UniqueFunction(const UniqueFunction&) = delete;
  UniqueFunction& operator=(const UniqueFunction&) = delete;

  /// Destroys the callable — for a queued item that never ran, this is its "destroyed unrun".
  ~UniqueFunction() { reset(); }

  /// Thread: any.
  explicit operator bool() const noexcept { return ops_ != nullptr; }

  /// Calls the stored callable. Calling an empty UniqueFunction is a bug: it aborts with a message.
  /// Thread: whichever the callable allows.
  R operator()(Args... args);

  /// Destroys the callable now; the object becomes empty. Thread: any.
  void reset() noexcept;

  /// The stored callable when it is exactly an `F` (as `std::function::target`), else null: how
  /// a sender takes back what a refused item owns (Channel::try_settle_with). Thread: any.
  template <class F>
  F* target() noexcept {
    if (ops_ == &InlineModel<F>::kOps) return InlineModel<F>::get(storage_);
    if (ops_ == &HeapModel<F>::kOps) return HeapModel<F>::get(storage_);
    return nullptr;
  }

  friend void swap(UniqueFunction& a, UniqueFunction& b) noexcept {
    UniqueFunction tmp(std::move(a));
    a = std::move(b);
    b = std::move(tmp);
  }

 private:
  // One static table per stored type: the object itself stays one pointer + the buffer.
  struct Ops {
    R (*invoke)(void* storage, Args&&... args);
    // Moves the callable from `src` to `dst` and destroys the source. Null: a byte copy is a
    // move (trivially copyable inline callables, and heap pointers) — a queue's vector growth
    // then costs a memcpy per item instead of an indirect call.
    void (*relocate)(void* dst, void* src) noexcept;
    // Null: nothing to destroy (trivially destructible inline callables).
    void (*destroy)(void* storage) noexcept;
  };

  template <class F>
  struct InlineModel;
  template <class F>
  struct HeapModel;

  [[noreturn]] static void abort_empty_call() noexcept;
  void take(UniqueFunction& other) noexcept;

  const Ops* ops_ = nullptr;
  alignas(void*) unsigned char storage_[InlineBytes];
};

// ---------------------------------------------------------------------------------------------
// Definitions

template <class R, class... Args, std::size_t InlineBytes>
template <class F>
struct UniqueFunction<R(Args...), InlineBytes>::InlineModel {
  static F* get(void* storage) noexcept { return std::launder(reinterpret_cast<F*>(storage)); }
  static R invoke(void* storage, Args&&... args) {
    if constexpr (std::is_void_v<R>) {
      std::invoke(*get(storage), std::forward<Args>(args)...);
    } else {
      return std::invoke(*get(storage), std::forward<Args>(args)...);
    }
  }
  static void relocate(void* dst, void* src) noexcept {
    ::new (dst) F(std::move(*get(src)));
    get(src)->~F();
  }
  static void destroy(void* storage) noexcept { get(storage)->~F(); }
  NAPIX_LOCAL static constexpr bool kTrivial = std::is_trivially_copyable_v<F>;
  NAPIX_LOCAL static constexpr Ops kOps{&invoke, kTrivial ? nullptr : &relocate, kTrivial ? nullptr : &destroy};
};

template <class R, class... Args, std::size_t InlineBytes>
template <class F>
struct UniqueFunction<R(Args...), InlineBytes>::HeapModel {
  static F* get(void* storage) noexcept {
    F* p;
    std::memcpy(&p, storage, sizeof p);
    return p;
  }
  static R invoke(void* storage, Args&&... args) {
    if constexpr (std::is_void_v<R>) {
      std::invoke(*get(storage), std::forward<Args>(args)...);
    } else {
      return std::invoke(*get(storage), std::forward<Args>(args)...);
    }
  }
  static void destroy(void* storage) noexcept { delete get(storage); }
  NAPIX_LOCAL static constexpr Ops kOps{&invoke, nullptr, &destroy};
};

template <class R, class... Args, std::size_t InlineBytes>
template <class F, class D,
          std::enable_if_t<!std::is_same_v<D, UniqueFunction<R(Args...), InlineBytes>> &&
                               !std::is_same_v<D, std::nullptr_t>,
                           int>>
UniqueFunction<R(Args...), InlineBytes>::UniqueFunction(F&& f) {
  static_assert(std::is_invocable_r_v<R, D&, Args...>,
                "napix: this callable cannot be called with the queue's arguments, or its result "
                "does not convert to the declared return type (check the lambda's parameters)");
  static_assert(std::is_constructible_v<D, F&&>,
                "napix: the callable cannot be moved/copied into the queue (it must be move-"
                "constructible; capture by value or wrap it)");
  if constexpr (std::is_pointer_v<D> || std::is_member_pointer_v<D>) {
    if (f == nullptr) return;
  }
  if constexpr (fits_inline<D>()) {
    ::new (static_cast<void*>(storage_)) D(std::forward<F>(f));
    ops_ = &InlineModel<D>::kOps;
  } else {
    D* p = new D(std::forward<F>(f));  // over-aligned D gets C++17's aligned new
    std::memcpy(storage_, &p, sizeof p);
    ops_ = &HeapModel<D>::kOps;
  }
}

template <class R, class... Args, std::size_t InlineBytes>
UniqueFunction<R(Args...), InlineBytes>& UniqueFunction<R(Args...), InlineBytes>::operator=(
    UniqueFunction&& other) noexcept {
  if (this != &other) {
    reset();
    take(other);
  }
  return *this;
}

template <class R, class... Args, std::size_t InlineBytes>
R UniqueFunction<R(Args...), InlineBytes>::operator()(Args... args) {
  if (ops_ == nullptr) abort_empty_call();
  return ops_->invoke(storage_, std::forward<Args>(args)...);
}

template <class R, class... Args, std::size_t InlineBytes>
void UniqueFunction<R(Args...), InlineBytes>::reset() noexcept {
  if (ops_ == nullptr) return;
  const Ops* ops = ops_;
  ops_ = nullptr;  // empty first: a destructor that reaches back into this object sees it empty
  if (ops->destroy) ops->destroy(storage_);
}

template <class R, class... Args, std::size_t InlineBytes>
void UniqueFunction<R(Args...), InlineBytes>::take(UniqueFunction& other) noexcept {
  if (other.ops_ == nullptr) return;
  if (other.ops_->relocate) {
    other.ops_->relocate(storage_, other.storage_);
  } else {
    std::memcpy(storage_, other.storage_, InlineBytes);
  }
  ops_ = other.ops_;
  other.ops_ = nullptr;
}

template <class R, class... Args, std::size_t InlineBytes>
void UniqueFunction<R(Args...), InlineBytes>::abort_empty_call() noexcept {
  std::fputs("napix: FATAL: called an empty napix::detail::UniqueFunction (a bug in napix)\n",
             stderr);
  std::abort();
}

}  // namespace detail
}  // namespace napix
