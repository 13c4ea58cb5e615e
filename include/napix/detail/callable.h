// napix/detail/callable.h — the signature of a callable (free function, function pointer, lambda,
// functor) as a result type and a parameter list, for napix::function (no Node-API in here, so
// Catch2 tests it).
#pragma once

#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>

#include "visibility.h"

namespace napix {
namespace detail {

/// A list of types.
template <class... Ts>
struct TypeList {
  NAPIX_LOCAL static constexpr std::size_t size = sizeof...(Ts);
};

/// What a callable of type F returns and takes. `valid` is false when F has no single signature
/// (a generic lambda, an overloaded operator()).
template <class F, class = void>
struct CallableTraits {
  NAPIX_LOCAL static constexpr bool valid = false;
};

template <class R, class... Args>
struct Signature {
  NAPIX_LOCAL static constexpr bool valid = true;
  NAPIX_LOCAL static constexpr bool mutating = false;  // a non-const operator(): calls change the callable
  using result = R;
  using params = TypeList<Args...>;
};

template <class M>
struct MemberCallTraits {
  NAPIX_LOCAL static constexpr bool valid = false;
};

// Every qualifier an operator() may carry; noexcept is part of the type since C++17.
template <bool Mutating, class R, class... Args>
struct MemberSignature : Signature<R, Args...> {
  NAPIX_LOCAL static constexpr bool mutating = Mutating;
};
#define NAPIX_MEMBER_CALL_TRAITS(QUALIFIERS, MUTATING)                              \
  template <class C, class R, class... Args>                                        \
  struct MemberCallTraits<R (C::*)(Args...) QUALIFIERS>                             \
      : MemberSignature<MUTATING, R, Args...> {};                                   \
  template <class C, class R, class... Args>                                        \
  struct MemberCallTraits<R (C::*)(Args...) QUALIFIERS noexcept>                    \
      : MemberSignature<MUTATING, R, Args...> {};
NAPIX_MEMBER_CALL_TRAITS(, true)
NAPIX_MEMBER_CALL_TRAITS(const, false)
NAPIX_MEMBER_CALL_TRAITS(&, true)
NAPIX_MEMBER_CALL_TRAITS(const&, false)
NAPIX_MEMBER_CALL_TRAITS(&&, true)
NAPIX_MEMBER_CALL_TRAITS(const&&, false)
#undef NAPIX_MEMBER_CALL_TRAITS

template <class R, class... Args>
struct CallableTraits<R (*)(Args...)> : Signature<R, Args...> {};
template <class R, class... Args>
struct CallableTraits<R (*)(Args...) noexcept> : Signature<R, Args...> {};
template <class R, class... Args>
struct CallableTraits<R(Args...)> : Signature<R, Args...> {};
template <class R, class... Args>
struct CallableTraits<R(Args...) noexcept> : Signature<R, Args...> {};
template <class F>
struct CallableTraits<F, std::void_t<decltype(&F::operator())>>
    : MemberCallTraits<decltype(&F::operator())> {};

/// Whether a callable is kept in a pointer-sized word itself (a function pointer, a lambda
/// without captures or with one small trivial capture) instead of on the heap: no allocation, no
/// finalizer, nothing to free. Each call works on a copy of the word, so a callable whose calls
/// change it (a `mutable` lambda) stays on the heap.
template <class F, class = void>
struct FitsInWord : std::false_type {};
template <class F>
struct FitsInWord<F, std::enable_if_t<CallableTraits<F>::valid>>
    : std::bool_constant<std::is_trivially_copyable_v<F> && std::is_trivially_destructible_v<F> &&
                         sizeof(F) <= sizeof(void*) && alignof(F) <= alignof(void*) &&
                         !CallableTraits<F>::mutating> {};
template <class F>
NAPIX_LOCAL inline constexpr bool fits_in_word_v = FitsInWord<F>::value;

/// `f`'s bytes as a pointer-sized word (fits_in_word_v<F> only). Thread: any.
template <class F>
void* to_word(const F& f) noexcept {
  static_assert(std::is_trivially_copyable_v<F> && sizeof(F) <= sizeof(void*),
                "napix: to_word needs a small trivially copyable callable");
  void* word = nullptr;
  std::memcpy(&word, &f, sizeof(F));
  return word;
}

/// The callable to_word stored, rebuilt in `buffer` (a trivially copyable object is its bytes).
/// Thread: any.
template <class F>
struct WordCallable {
  explicit WordCallable(void* word) noexcept { std::memcpy(buffer, &word, sizeof(F)); }
  F& get() noexcept { return *std::launder(reinterpret_cast<F*>(buffer)); }
  alignas(F) unsigned char buffer[sizeof(F)];
};

}  // namespace detail
}  // namespace napix
