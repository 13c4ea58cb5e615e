// Tests of napix/detail/unique_function.h: storage (inline vs heap), move-only captures,
// exactly-once destruction, the 32-byte size. Allocations are counted with class-specific
// operator new on probe callables: replacing the global one clashes with clang's static TSan
// runtime and with any other test file linked into the same binary.
#include <napix/detail/unique_function.h>

#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "catch.h"

namespace {

using napix::detail::UniqueFunction;

// Adds one to *destroyed when the live (not moved-from) instance dies.
struct DestroyCounter {
  int* destroyed;
  explicit DestroyCounter(int* d) : destroyed(d) {}
  DestroyCounter(DestroyCounter&& other) noexcept : destroyed(other.destroyed) {
    other.destroyed = nullptr;
  }
  DestroyCounter& operator=(DestroyCounter&&) = delete;
  ~DestroyCounter() {
    if (destroyed) ++*destroyed;
  }
};

// Callables whose heap allocations are counted: `new D(...)` picks the class's operator new.
std::size_t g_probe_allocations = 0;
template <std::size_t Bytes, bool NothrowMove = true>
struct Probe {
  unsigned char bytes[Bytes] = {};
  Probe() = default;
  Probe(Probe&& other) noexcept(NothrowMove) { std::memcpy(bytes, other.bytes, Bytes); }
  int operator()(int x) const { return x + bytes[0]; }
  static void* operator new(std::size_t n) {
    ++g_probe_allocations;
    return ::operator new(n);
  }
  static void operator delete(void* p) noexcept { ::operator delete(p); }
};

struct alignas(32) OverAligned {
  int value = 7;
  int operator()() const { return value; }
};

struct ThrowingMove {
  int value = 3;
  ThrowingMove() = default;
  ThrowingMove(ThrowingMove&& other) : value(other.value) {}  // not noexcept
  int operator()() const { return value; }
};

}  // namespace

static_assert(sizeof(void*) != 8 || sizeof(UniqueFunction<void(int), 24>) == 32,
              "a queued closure must cost 32 bytes on 64-bit targets");
static_assert(sizeof(void*) != 8 || sizeof(UniqueFunction<bool()>) == 32);
static_assert(std::is_nothrow_move_constructible_v<UniqueFunction<void()>>);
static_assert(!std::is_copy_constructible_v<UniqueFunction<void()>>);
static_assert(UniqueFunction<void()>::fits_inline<void (*)()>());
static_assert(!UniqueFunction<int()>::fits_inline<OverAligned>(), "over-aligned goes to the heap");
static_assert(!UniqueFunction<int()>::fits_inline<ThrowingMove>(),
              "throwing move goes to the heap");

TEST_CASE("UniqueFunction: a small closure is stored inline without allocating",
          "[unique_function]") {
  int a = 1, b = 2;
  auto small = [&a, &b, c = 3](int x) { return a + b + c + x; };
  static_assert(UniqueFunction<int(int)>::fits_inline<decltype(small)>());
  UniqueFunction<int(int)> lambda(small);
  REQUIRE(lambda(4) == 10);

  const std::size_t before = g_probe_allocations;
  {
    UniqueFunction<int(int)> f(Probe<24>{});  // exactly the buffer's size
    REQUIRE(f);
    REQUIRE(f(4) == 4);
    UniqueFunction<int(int)> g(std::move(f));
    REQUIRE_FALSE(f);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    REQUIRE(g(1) == 1);
    f = std::move(g);
    REQUIRE(f(2) == 2);
  }
  REQUIRE(g_probe_allocations == before);
}

TEST_CASE("UniqueFunction: a large closure allocates once and moves do not", "[unique_function]") {
  static_assert(!UniqueFunction<int(int)>::fits_inline<Probe<25>>());
  const std::size_t before = g_probe_allocations;
  UniqueFunction<int(int)> f(Probe<25>{});
  REQUIRE(g_probe_allocations == before + 1);
  UniqueFunction<int(int)> g(std::move(f));
  UniqueFunction<int(int)> h;
  h = std::move(g);
  REQUIRE(g_probe_allocations == before + 1);
  REQUIRE(h(5) == 5);

  struct Big {
    char bytes[64] = {};
  } big;
  big.bytes[63] = 5;
  auto large = [big]() { return static_cast<int>(big.bytes[63]); };
  static_assert(!UniqueFunction<int()>::fits_inline<decltype(large)>());
  UniqueFunction<int()> lambda(large);
  REQUIRE(lambda() == 5);
}

TEST_CASE("UniqueFunction: move-only captures and arguments", "[unique_function]") {
  auto owned = std::make_unique<int>(41);
  UniqueFunction<int(std::unique_ptr<int>)> f(
      [p = std::move(owned)](std::unique_ptr<int> q) { return *p + *q; });
  REQUIRE(f(std::make_unique<int>(1)) == 42);

  // A reference parameter reaches the callable as the same object.
  UniqueFunction<void(std::string&)> append([](std::string& s) { s += "!"; });
  std::string text = "hi";
  append(text);
  REQUIRE(text == "hi!");

  // The result converts to R; R = void discards a result.
  UniqueFunction<long()> widen([] { return 3; });
  REQUIRE(widen() == 3L);
  UniqueFunction<void()> discard([] { return 3; });
  discard();
}

TEST_CASE("UniqueFunction: the callable is destroyed exactly once whether called or not",
          "[unique_function]") {
  SECTION("inline") {
    int destroyed = 0;
    {
      UniqueFunction<void()> unrun([c = DestroyCounter(&destroyed)] {});
      static_assert(UniqueFunction<void()>::fits_inline<DestroyCounter>());
      UniqueFunction<void()> moved(std::move(unrun));
      REQUIRE(destroyed == 0);
    }
    REQUIRE(destroyed == 1);
    {
      UniqueFunction<void()> run([c = DestroyCounter(&destroyed)] {});
      run();
      run();
    }
    REQUIRE(destroyed == 2);
  }
  SECTION("heap") {
    int destroyed = 0;
    {
      UniqueFunction<void()> unrun(
          [c = DestroyCounter(&destroyed), pad = std::string(100, 'x')] { (void)pad; });
      UniqueFunction<void()> moved(std::move(unrun));
      REQUIRE(destroyed == 0);
      moved();
    }
    REQUIRE(destroyed == 1);
  }
  SECTION("reset, assignment and nullptr destroy the old callable") {
    int destroyed = 0;
    UniqueFunction<void()> f([c = DestroyCounter(&destroyed)] {});
    f.reset();
    REQUIRE(destroyed == 1);
    REQUIRE_FALSE(f);
    f = [c = DestroyCounter(&destroyed)] {};
    f = UniqueFunction<void()>([c = DestroyCounter(&destroyed)] {});
    REQUIRE(destroyed == 2);
    f = nullptr;
    REQUIRE(destroyed == 3);
    f = [c = DestroyCounter(&destroyed)] {};
    auto& alias = f;
    f = std::move(alias);  // self-move keeps the callable
    REQUIRE(f);
    REQUIRE(destroyed == 3);
  }
}

TEST_CASE("UniqueFunction: empty states", "[unique_function]") {
  UniqueFunction<void()> empty;
  REQUIRE_FALSE(empty);
  UniqueFunction<void()> null_ptr(nullptr);
  REQUIRE_FALSE(null_ptr);
  void (*no_function)() = nullptr;
  UniqueFunction<void()> from_null_pointer(no_function);
  REQUIRE_FALSE(from_null_pointer);
  UniqueFunction<void()> moved_empty(std::move(empty));
  REQUIRE_FALSE(moved_empty);
}

TEST_CASE("UniqueFunction: heap fallbacks for over-aligned and throwing-move callables",
          "[unique_function]") {
  static_assert(!UniqueFunction<int(int)>::fits_inline<Probe<8, false>>());
  const std::size_t before = g_probe_allocations;
  UniqueFunction<int(int)> throwing{Probe<8, false>{}};
  REQUIRE(g_probe_allocations == before + 1);
  REQUIRE(throwing(3) == 3);
  UniqueFunction<int()> throwing_lambda{ThrowingMove{}};
  REQUIRE(throwing_lambda() == 3);

  UniqueFunction<int()> aligned{OverAligned{}};  // aligned new/delete pairing is checked by ASan
  UniqueFunction<int()> moved(std::move(aligned));
  REQUIRE(moved() == 7);
}

TEST_CASE("UniqueFunction: relocation through vector growth keeps every callable",
          "[unique_function]") {
  int destroyed = 0;
  std::vector<UniqueFunction<int()>> items;
  for (int i = 0; i < 1000; ++i) {
    if (i % 2 == 0) {
      items.emplace_back([i] { return i; });  // trivially copyable: byte-copied on growth
    } else {
      items.emplace_back([i, c = DestroyCounter(&destroyed)] { return i; });
    }
  }
  REQUIRE(destroyed == 0);
  for (int i = 0; i < 1000; ++i) REQUIRE(items[static_cast<std::size_t>(i)]() == i);
  items.clear();
  REQUIRE(destroyed == 500);
}

TEST_CASE("UniqueFunction: a wider buffer and member pointers", "[unique_function]") {
  struct Point {
    int x;
    int get() const { return x; }
  };
  UniqueFunction<int(const Point&)> member(&Point::get);
  REQUIRE(member(Point{9}) == 9);

  std::string captured(8, 'a');
  auto two_strings = [captured, other = captured] { return captured.size() + other.size(); };
  static_assert(!UniqueFunction<std::size_t()>::fits_inline<decltype(two_strings)>());
  static_assert(UniqueFunction<std::size_t(), 64>::fits_inline<decltype(two_strings)>());
  UniqueFunction<std::size_t(), 64> wide(two_strings);
  REQUIRE(wide() == 16);
}
