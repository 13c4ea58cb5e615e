// napix/detail/traits.h — the few type traits napix's templates share (no Node-API in here).
#pragma once

#include <type_traits>

#include "visibility.h"

namespace napix {
namespace detail {

/// C++20's std::remove_cvref_t.
template <class T>
using remove_cvref_t = std::remove_cv_t<std::remove_reference_t<T>>;

/// False whatever T is, for a `static_assert` that must fire only when its template is used.
template <class...>
NAPIX_LOCAL inline constexpr bool always_false_v = false;

/// True when T is `Template<Args...>` (type parameters only), e.g. `std::vector<int>` for
/// `std::vector`.
template <class T, template <class...> class Template>
struct is_specialization_of : std::false_type {};
template <template <class...> class Template, class... Args>
struct is_specialization_of<Template<Args...>, Template> : std::true_type {};
template <class T, template <class...> class Template>
NAPIX_LOCAL inline constexpr bool is_specialization_of_v =
    is_specialization_of<remove_cvref_t<T>, Template>::value;

// The detector idiom (Library Fundamentals TS v2): is_detected_v<Op, Args...> is true when
// Op<Args...> is a valid type. One definition here instead of a hand-written SFINAE test per trait.
template <class Default, class AlwaysVoid, template <class...> class Op, class... Args>
struct detector : std::false_type {};
template <class Default, template <class...> class Op, class... Args>
struct detector<Default, std::void_t<Op<Args...>>, Op, Args...> : std::true_type {};

template <template <class...> class Op, class... Args>
NAPIX_LOCAL inline constexpr bool is_detected_v = detector<void, void, Op, Args...>::value;

/// `T`, spelled so that it depends on `U`: a template may then name a type that is complete only
/// where it is instantiated (Channel::settle_with's Deferred).
template <class T, class U>
struct dependent {
  using type = T;
};
template <class T, class U>
using dependent_t = typename dependent<T, U>::type;

}  // namespace detail
}  // namespace napix
