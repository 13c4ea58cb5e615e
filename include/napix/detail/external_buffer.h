// napix/detail/external_buffer.h — handing native memory to a JS Buffer without copying it
// (napi_create_external_buffer, the garbage collector frees it through a finalizer), with the copy
// fallback for runtimes that forbid external buffers (napi_no_external_buffers_allowed: V8's
// sandbox, e.g. Electron). Shared by napix::Bytes and the std::vector<std::uint8_t>&& converter.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "../config.h"
#include "byte_pool.h"
#include "visibility.h"

namespace napix {
namespace detail {

/// A test hook, not an API: counts which path each conversion took, and can force the copy path
/// as if the runtime had answered napi_no_external_buffers_allowed. Process-wide; napix's own test
/// addon and benchmark use it (test/bytes.test.js). Thread: any.
struct BufferHooks {
  std::atomic<std::uint64_t> external{0};  // Buffers made over native memory
  std::atomic<std::uint64_t> copied{0};    // Buffers made by copying (fallback or forced)
  std::atomic<std::uint64_t> freed{0};     // native memory freed by a Buffer's finalizer
  std::atomic<bool> force_copy{false};
};

NAPIX_LOCAL inline BufferHooks& buffer_hooks() noexcept {
  static BufferHooks* hooks = new BufferHooks();  // leaked: finalizers may run at exit
  return *hooks;
}

/// What owns the memory of an external Buffer; deleted by its finalizer (JS thread). A null owner
/// means the data itself came from std::malloc/calloc: it goes back through the BytePool.
struct BufferOwner {
  virtual ~BufferOwner() = default;
};

inline void free_buffer_memory(void* data, std::size_t size, BufferOwner* owner) noexcept {
  if (owner != nullptr) {
    delete owner;
  } else {
    byte_pool().give(data, size);
  }
}

// The finalizer's hint: the owner, or — for malloc'd memory, which has none — the size the pool
// needs, tagged by its low bit (an owner is at least 8-byte aligned).
inline void* buffer_hint(std::size_t size, BufferOwner* owner) noexcept {
  return owner != nullptr ? static_cast<void*>(owner)
                          : reinterpret_cast<void*>((static_cast<std::uintptr_t>(size) << 1) | 1u);
}

inline void finalize_external_buffer(napi_env, void* data, void* hint) {
  const auto bits = reinterpret_cast<std::uintptr_t>(hint);
  if (bits & 1u) {
    byte_pool().give(data, static_cast<std::size_t>(bits >> 1));
  } else {
    delete static_cast<BufferOwner*>(hint);
  }
  buffer_hooks().freed.fetch_add(1, std::memory_order_relaxed);
}

/// A Buffer over `size` bytes at `data`. On success with `*adopted` true the Buffer owns them
/// (through `owner`, or std::free when `owner` is null); with `*adopted` false it is a copy and
/// the memory is still the caller's (also on failure). 0 bytes: an empty Buffer. `prefer_copy`:
/// copy even where external buffers are allowed (Bytes::set_zero_copy(false)).
/// Thread: JS thread only.
inline napi_status make_buffer(napi_env env, void* data, std::size_t size, BufferOwner* owner,
                               napi_value* out, bool* adopted, bool prefer_copy = false) {
  *adopted = false;
  BufferHooks& hooks = buffer_hooks();
  if (size == 0) return napi_create_buffer(env, 0, nullptr, out);
  if (!prefer_copy && !hooks.force_copy.load(std::memory_order_relaxed)) {
    napi_status s = napi_create_external_buffer(env, size, data, finalize_external_buffer,
                                                buffer_hint(size, owner), out);
    if (s == napi_ok) {
      *adopted = true;
      hooks.external.fetch_add(1, std::memory_order_relaxed);
      return s;
    }
    // The runtime forbids external buffers (V8 sandbox): copy. Anything else is a real failure.
    if (s != napi_no_external_buffers_allowed) return s;
  }
  void* copy = nullptr;
  napi_status s = napi_create_buffer_copy(env, size, data, &copy, out);
  if (s == napi_ok) hooks.copied.fetch_add(1, std::memory_order_relaxed);
  return s;
}

}  // namespace detail
}  // namespace napix
