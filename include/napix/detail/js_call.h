// napix/detail/js_call.h — calling a ThreadSafeCallback's JS function on the JS thread: checking
// the function and receiver up front, converting the arguments, and completing a call_async /
// call_sync slot once the result (or the promise it returns) settles. Shared by the dynamic and
// the typed callback.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "../config.h"
#include "../convert.h"
#include "../error.h"
#include "dispatcher.h"
#include "js_value.h"
#include "outcome.h"
#include "thenable.h"

namespace napix {
namespace detail {

/// Checks a callback's function and receiver before anything is made: true when usable, else a
/// TypeError (ERR_INVALID_ARG_TYPE) naming `who`, the parameter and what it got is thrown
/// (exceptions off: left pending) and the caller makes an empty, closed handle. Without it a
/// non-function made a closed handle or calls lost on the JS thread
/// (test/threadsafe_callback.test.js). Thread: JS thread only.
inline bool check_callback(const char* who, Napi::Value self, Napi::Function fn) {
  napi_env env = fn.Env();
  if (env == nullptr) misuse("napix: a callback made from a default-constructed Napi::Function");
  napi_valuetype type = napi_undefined;
  std::string bad;
  if (napi_typeof(env, fn, &type) != napi_ok || type != napi_function) {
    bad = std::string(who) + ": fn: expected function, got " + describe_type(env, fn);
  } else if (static_cast<napi_value>(self) != nullptr &&
             (napi_typeof(env, self, &type) != napi_ok ||
              !(type == napi_undefined || type == napi_object || type == napi_function ||
                type == napi_symbol || type == napi_external))) {
    // Below Node-API 10 a reference can hold only these; `undefined` means no receiver.
    bad = std::string(who) + ": self: expected object, function, symbol or undefined, got " +
          describe_type(env, self);
  }
  if (bad.empty()) return true;
  throw_js(Napi::Env(env), Error::type_error(std::move(bad)));
  return false;
}

/// The receiver as the queue keeps it: null for none (empty or `undefined`). Thread: JS thread.
inline napi_value receiver(Napi::Value self) {
  napi_value v = self;
  napi_valuetype type = napi_undefined;
  if (v == nullptr || napi_typeof(self.Env(), v, &type) != napi_ok || type == napi_undefined) {
    return nullptr;
  }
  return v;
}

template <class... Args, std::size_t... I>
napi_status call_js(const RunContext& cx, std::tuple<Args...>& args, std::index_sequence<I...>,
                    napi_value* result) {
  napi_value argv[sizeof...(Args) + 1] = {napix::to_js(Napi::Env(cx.env), std::move(std::get<I>(args)))...};
  napi_status s = napi_call_function(cx.env, cx.self, cx.fn, sizeof...(Args), argv, result);
  if (s != napi_ok) cx.check_js = true;  // perhaps the JS called process.exit() in a Worker
  return s;
}

/// Calls the JS function with `args` and completes `slot` (PromiseSlot or WaiterSlot) when the
/// result settles. Thread: JS thread only.
template <class R, class Slot, class... Args>
void call_and_complete(const RunContext& cx, std::tuple<Args...>& args, Slot slot) {
  napi_value result = nullptr;
  napi_status s = napi_generic_failure;
  NAPIX_TRY {
    s = call_js(cx, args, std::index_sequence_for<Args...>{}, &result);
  }
  NAPIX_CATCH(...) {
    // An argument's to_js threw: the error belongs to this call's future, not to the process.
    slot.complete(caught<R>(cx.env));
    return;
  }
  if (s != napi_ok || result == nullptr) {
    if (std::optional<JsError> js = take_pending_js_error(cx.env)) {
      slot.complete(Outcome<R>::js_error(std::move(*js)));
    } else {
      slot.complete(Outcome<R>::failure(Error("napix: calling the JavaScript function failed")));
    }
    return;
  }
  when_settled(cx.env, result, [slot = std::move(slot)](napi_env env, bool ok, napi_value v) mutable {
    if (env == nullptr) return;  // never settled: the slot's destructor reports closing
    slot.complete(settled_outcome<R>(env, ok, v));
  });
}

}  // namespace detail
}  // namespace napix
