// napix/persistent.h — napix::Persistent<T>: a strong reference to a JS value that native threads
// may hold, copy and drop (Neon's Root). The last copy dropped off the JS thread releases the
// reference on the JS thread, batched with other drops; after teardown nothing is touched.
#pragma once

#include <atomic>
#include <memory>
#include <type_traits>
#include <utility>

#include "config.h"
#include "error.h"
#include "detail/env.h"

namespace napix {

/// A strong reference to a JS value: the value is not collected while any copy lives.
///
/// Copies share one reference (a count, no Node-API call). Copied, moved and destroyed on any
/// thread; `value()` only on the JS thread of its environment. The last copy destroyed on that
/// thread deletes the reference at once; destroyed elsewhere, the deletion is queued to the JS
/// thread through napix's internal Channel, many drops to one closure. When the environment is torn
/// down (Worker `terminate()`, exit) napix deletes every reference still held; a copy dropped
/// after that touches nothing but its own memory. A closure sent to a Channel may capture one.
///
/// `T` is `Napi::Value` or one of its subclasses (`Napi::Object`, `Napi::Function`, ...). Any JS
/// value may be held, primitives included.
template <class T = Napi::Value>
class Persistent {
  static_assert(std::is_base_of_v<Napi::Value, T>,
                "napix::Persistent<T>: T must be Napi::Value or one of its subclasses");

 public:
  /// An empty Persistent (`empty()` is true). Thread: any.
  Persistent() noexcept = default;

  /// A strong reference to `value`. Thread: JS thread only.
  /// Errors: an empty `value` is a bug (`std::logic_error`; exceptions off: a fatal error); when
  /// Node-API refuses (the environment is going), throws its `Napi::Error` (exceptions off: the JS
  /// exception is left pending) and the Persistent is empty.
  explicit Persistent(T value);

  /// Thread: any. Copies share the reference; the last one gone releases it (see the class).
  Persistent(const Persistent& other) noexcept : ref_(other.ref_) {
    if (ref_ != nullptr) ref_->count.fetch_add(1, std::memory_order_relaxed);
  }
  Persistent(Persistent&& other) noexcept : ref_(std::exchange(other.ref_, nullptr)) {}
  Persistent& operator=(const Persistent& other) noexcept {
    if (this != &other) *this = Persistent(other);
    return *this;
  }
  Persistent& operator=(Persistent&& other) noexcept {
    if (this != &other) {
      drop();
      ref_ = std::exchange(other.ref_, nullptr);
    }
    return *this;
  }
  ~Persistent() { drop(); }

  /// The value. Thread: JS thread of its environment only.
  /// Errors: on another thread, on an empty Persistent, or after its environment's teardown:
  /// `std::logic_error` (exceptions off: a fatal error naming the misuse).
  T value() const;

  /// True for a default-constructed or moved-from Persistent. Thread: any.
  bool empty() const noexcept { return ref_ == nullptr; }

  /// Drops this copy now (as the destructor); `empty()` afterwards. Thread: any.
  void reset() noexcept {
    drop();
    ref_ = nullptr;
  }

 private:
  void drop() noexcept {
    if (ref_ != nullptr && ref_->count.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      detail::PersistentRefs::release(ref_);
    }
  }

  detail::PersistentRef* ref_ = nullptr;
};

template <class T>
Persistent(T) -> Persistent<T>;

// ---------------------------------------------------------------------------------------------
// Definitions

template <class T>
Persistent<T>::Persistent(T value) {
  napi_env env = value.Env();
  napi_value v = value;
  if (env == nullptr || v == nullptr) detail::misuse("napix::Persistent made from an empty value");
  // Below Node-API 10 a reference holds only objects, functions, symbols and externals: a
  // primitive is held as element 0 of a one-element array.
  napi_valuetype type = napi_undefined;
  napi_status s = napi_typeof(env, v, &type);
  const bool boxed = s == napi_ok && type != napi_object && type != napi_function &&
                     type != napi_symbol && type != napi_external;
  napi_value held = v;
  if (s == napi_ok && boxed) {
    s = napi_create_array_with_length(env, 1, &held);
    if (s == napi_ok) s = napi_set_element(env, held, 0, v);
  }
  napi_ref ref = nullptr;
  if (s == napi_ok) s = napi_create_reference(env, held, 1, &ref);
  if (s != napi_ok) {
    NAPI_THROW_IF_FAILED_VOID(env, s);
    return;
  }
  auto r = std::make_unique<detail::PersistentRef>();
  r->ref = ref;
  r->boxed = boxed;
  r->home = detail::env_entry(env).persistent_refs();
  if (!r->home->link(r.get())) {
    // Made during teardown, after napix's cleanup: nobody would delete it later.
    napi_delete_reference(env, ref);
    r->ref = nullptr;
  }
  ref_ = r.release();
}

template <class T>
T Persistent<T>::value() const {
  if (ref_ == nullptr) detail::misuse("napix::Persistent::value() called on an empty Persistent");
  const detail::PersistentRefs& home = *ref_->home;
  if (!home.on_js_thread()) {
    detail::misuse("napix::Persistent::value() called off its JavaScript thread");
  }
  if (ref_->ref == nullptr) {
    detail::misuse("napix::Persistent::value() called after its environment was torn down");
  }
  napi_env env = home.env();
  napi_value v = nullptr;
  napi_status s = napi_get_reference_value(env, ref_->ref, &v);
  if (s == napi_ok && ref_->boxed) s = napi_get_element(env, v, 0, &v);
  NAPI_THROW_IF_FAILED(env, s, T());
  return T(env, v);
}

}  // namespace napix
