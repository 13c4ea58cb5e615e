// napix/bytes.h — napix::Bytes: an owned byte buffer filled on any thread that becomes a JS
// Buffer without a copy (the Buffer takes its memory; the garbage collector frees it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "config.h"
#include "convert.h"
#include "error.h"
#include "detail/external_buffer.h"
#include "detail/visibility.h"

namespace napix {

/// An owned, movable byte buffer: a `std::vector<std::uint8_t>` or `std::string` moved in (not
/// copied), or `Bytes(size)` filled through `data()`. Made, filled, moved and destroyed on any
/// thread; `to_js(env, std::move(bytes))` on the JS thread makes a `Buffer` over the same memory,
/// which the garbage collector frees — or, where the runtime forbids external buffers
/// (`napi_no_external_buffers_allowed`, V8's sandbox), a copy. Move-only.
class Bytes {
 public:
  /// No bytes. Thread: any.
  Bytes() noexcept = default;
  /// `size` zeroed bytes. Thread: any.
  /// Errors: `std::bad_alloc` when the memory cannot be had (exceptions off: a fatal error).
  explicit Bytes(std::size_t size);
  /// `size` bytes whose contents are unspecified, for a producer that writes every byte anyway
  /// (a read(2), a decoder): it saves zeroing them first, as Node's `Buffer.allocUnsafe`.
  /// Thread: any. Errors: as `Bytes(size)`.
  static Bytes uninitialized(std::size_t size);
  /// Takes the vector's memory: no copy. Thread: any.
  explicit Bytes(std::vector<std::uint8_t>&& bytes);
  /// Takes the string's memory (a short string's inline characters move with it). Thread: any.
  explicit Bytes(std::string&& bytes);

  Bytes(Bytes&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        owner_(std::exchange(other.owner_, nullptr)),
        copy_(std::exchange(other.copy_, false)) {}
  Bytes& operator=(Bytes&& other) noexcept {
    if (this != &other) {
      reset();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      owner_ = std::exchange(other.owner_, nullptr);
      copy_ = std::exchange(other.copy_, false);
    }
    return *this;
  }
  Bytes(const Bytes&) = delete;
  Bytes& operator=(const Bytes&) = delete;
  ~Bytes() { reset(); }

  /// The bytes (null when empty). Thread: whichever thread holds it.
  std::uint8_t* data() noexcept { return data_; }
  const std::uint8_t* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::uint8_t* begin() noexcept { return data_; }
  std::uint8_t* end() noexcept { return data_ + size_; }
  const std::uint8_t* begin() const noexcept { return data_; }
  const std::uint8_t* end() const noexcept { return data_ + size_; }

  /// Frees the bytes now; `empty()` afterwards. Thread: any.
  void reset() noexcept;

  /// Whether `to_js` hands this memory to the Buffer (true, the default) or copies it into a
  /// Buffer of the JS heap's own and frees it at once (false). Node frees an external Buffer only
  /// in a full garbage collection: in a process with a large JS heap, a run of large chunks is
  /// cheaper copied (doc/persistent.md, "The cost is in the garbage collector"). Moves carry it.
  /// Thread: whichever thread holds it.
  void set_zero_copy(bool zero_copy) noexcept { copy_ = !zero_copy; }
  bool zero_copy() const noexcept { return !copy_; }

 private:
  friend struct Converter<Bytes>;
  template <class C>
  struct Owner final : detail::BufferOwner {
    explicit Owner(C&& c) noexcept : bytes(std::move(c)) {}
    C bytes;
  };

  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  detail::BufferOwner* owner_ = nullptr;  // null: data_ is std::free'd
  bool copy_ = false;                      // set_zero_copy(false)
};

/// Bytes → Buffer, taking its memory (moved from: `to_js(env, std::move(bytes))`); a copy where
/// the runtime forbids external buffers; 0 bytes → an empty Buffer. On failure the Bytes keeps
/// its memory. To JS only. Thread: JS thread only.
template <>
struct Converter<Bytes> {
  // napix's own, running no JavaScript and no user code: a stream may convert these inside the
  // iterator's next(), in the reader's async context (detail/stream_core.h, kPullable).
  NAPIX_LOCAL static constexpr bool napix_runs_no_js = true;
  static Napi::Value to_js(Napi::Env env, Bytes&& bytes);
  // An lvalue would have to be copied or silently emptied: say so at compile time.
  template <class B, std::enable_if_t<std::is_same_v<B, Bytes>, int> = 0>
  static Napi::Value to_js(Napi::Env, const B&) {
    static_assert(!std::is_same_v<B, Bytes>,
                  "napix::to_js(env, bytes): pass std::move(bytes) — the Buffer takes its memory");
    return Napi::Value();
  }
};

// ---------------------------------------------------------------------------------------------
// Definitions

namespace detail {
// Memory for Bytes(size): a warm block from the pool if one of that size waits there, else
// calloc (fresh large blocks are mapped zero pages: no memset) or malloc.
inline std::uint8_t* allocate_bytes(std::size_t size, bool zeroed) {
  void* p = byte_pool().take(size);
  if (p != nullptr) {
    if (zeroed) std::memset(p, 0, size);
  } else {
    p = zeroed ? std::calloc(size, 1) : std::malloc(size);
  }
  if (p == nullptr) {
#if NAPIX_EXCEPTIONS
    throw std::bad_alloc();
#else
    fatal("napix::Bytes", "out of memory");
#endif
  }
  return static_cast<std::uint8_t*>(p);
}
}  // namespace detail

inline Bytes::Bytes(std::size_t size) {
  if (size == 0) return;
  data_ = detail::allocate_bytes(size, true);
  size_ = size;
}

inline Bytes Bytes::uninitialized(std::size_t size) {
  Bytes b;
  if (size == 0) return b;
  b.data_ = detail::allocate_bytes(size, false);
  b.size_ = size;
  return b;
}

inline Bytes::Bytes(std::vector<std::uint8_t>&& bytes) {
  if (bytes.empty()) return;
  auto* owner = new Owner<std::vector<std::uint8_t>>(std::move(bytes));
  owner_ = owner;
  data_ = owner->bytes.data();
  size_ = owner->bytes.size();
}

inline Bytes::Bytes(std::string&& bytes) {
  if (bytes.empty()) return;
  auto* owner = new Owner<std::string>(std::move(bytes));
  owner_ = owner;
  data_ = reinterpret_cast<std::uint8_t*>(owner->bytes.data());
  size_ = owner->bytes.size();
}

inline void Bytes::reset() noexcept {
  if (data_ != nullptr || owner_ != nullptr) detail::free_buffer_memory(data_, size_, owner_);
  data_ = nullptr;
  size_ = 0;
  owner_ = nullptr;
}

inline Napi::Value Converter<Bytes>::to_js(Napi::Env env, Bytes&& bytes) {
  napi_value out = nullptr;
  bool adopted = false;
  napi_status s =
      detail::make_buffer(env, bytes.data_, bytes.size_, bytes.owner_, &out, &adopted, bytes.copy_);
  if (adopted) {
    bytes.data_ = nullptr;  // the Buffer's now
    bytes.size_ = 0;
    bytes.owner_ = nullptr;
  } else if (s == napi_ok) {
    bytes.reset();  // copied: the memory is no longer needed
  }
  return detail::made(env, s, &out);
}

}  // namespace napix
