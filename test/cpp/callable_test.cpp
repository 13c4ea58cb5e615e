// Catch2 tests of napix/detail/callable.h: the signature napix::function deduces from a callable,
// and which callables live in the function's data word.
#include "napix/detail/callable.h"

#include <memory>
#include <string>
#include <type_traits>

#include "catch.h"

namespace {

int free_function(int a, double b) { return a + static_cast<int>(b); }
void noexcept_function(const std::string&) noexcept {}

struct Functor {
  std::string prefix;
  std::string operator()(const std::string& s) const { return prefix + s; }
};

template <class F>
using Traits = napix::detail::CallableTraits<F>;
using napix::detail::TypeList;

}  // namespace

TEST_CASE("CallableTraits: functions, pointers, lambdas and functors", "[callable]") {
  STATIC_REQUIRE(std::is_same_v<Traits<decltype(&free_function)>::result, int>);
  STATIC_REQUIRE(std::is_same_v<Traits<decltype(&free_function)>::params, TypeList<int, double>>);
  STATIC_REQUIRE(std::is_same_v<Traits<decltype(&noexcept_function)>::params, TypeList<const std::string&>>);
  auto lambda = [](int, const std::string&) noexcept { return 1.0; };
  STATIC_REQUIRE(std::is_same_v<Traits<decltype(lambda)>::result, double>);
  STATIC_REQUIRE(std::is_same_v<Traits<decltype(lambda)>::params, TypeList<int, const std::string&>>);
  STATIC_REQUIRE(!Traits<decltype(lambda)>::mutating);
  auto mut = [n = 0]() mutable { return ++n; };
  STATIC_REQUIRE(Traits<decltype(mut)>::mutating);
  STATIC_REQUIRE(std::is_same_v<Traits<Functor>::params, TypeList<const std::string&>>);
  auto generic = [](auto x) { return x; };
  STATIC_REQUIRE(!Traits<decltype(generic)>::valid);
  STATIC_REQUIRE(!Traits<int>::valid);
}

TEST_CASE("fits_in_word_v: small trivial callables only, never a mutating one", "[callable]") {
  using napix::detail::fits_in_word_v;
  auto empty = [](int x) { return x; };
  int captured = 3;
  auto one = [captured](int x) { return x + captured; };
  auto mut = [captured]() mutable { return ++captured; };
  auto big = [a = 1.0, b = 2.0]() { return a + b; };
  auto owning = [p = std::make_shared<int>(1)]() { return *p; };
  STATIC_REQUIRE(fits_in_word_v<decltype(&free_function)>);
  STATIC_REQUIRE(fits_in_word_v<decltype(empty)>);
  STATIC_REQUIRE(fits_in_word_v<decltype(one)>);
  STATIC_REQUIRE(!fits_in_word_v<decltype(mut)>);
  STATIC_REQUIRE(!fits_in_word_v<decltype(big)>);
  STATIC_REQUIRE(!fits_in_word_v<decltype(owning)>);
  STATIC_REQUIRE(!fits_in_word_v<Functor>);
  (void)one, (void)mut, (void)big, (void)owning, (void)empty;
}

TEST_CASE("to_word and WordCallable round-trip a callable's bytes", "[callable]") {
  int captured = 40;
  auto one = [captured](int x) { return x + captured; };
  void* word = napix::detail::to_word(one);
  napix::detail::WordCallable<decltype(one)> back(word);
  REQUIRE(back.get()(2) == 42);
  void* fp = napix::detail::to_word(&free_function);
  napix::detail::WordCallable<decltype(&free_function)> f(fp);
  REQUIRE(f.get()(1, 2.5) == 3);
}
