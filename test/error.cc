// Test functions for napix/error.h: Status, Error, Result<T>, JsError, ClosingError, to_js_error,
// throw_js. Built with C++ exceptions on and off; the JS expectations are the same for both.
#include <memory>

#include "common.h"

namespace {

using napix::Error;
using napix::Result;

Napi::Value status_names(const Napi::CallbackInfo& info) {
  Napi::Array out = Napi::Array::New(info.Env());
  out.Set(0u, napix::to_string(napix::Status::ok));
  out.Set(1u, napix::to_string(napix::Status::queue_full));
  out.Set(2u, napix::to_string(napix::Status::closing));
  return out;
}

Error error_arg(const Napi::CallbackInfo& info) {
  Error e;
  e.name = info[0].As<Napi::String>().Utf8Value();
  e.message = info[1].As<Napi::String>().Utf8Value();
  if (info.Length() > 2 && info[2].IsString()) e.code = info[2].As<Napi::String>().Utf8Value();
  return e;
}

// makeError(name, message, code?) -> the JS error object to_js_error builds.
Napi::Value make_error(const Napi::CallbackInfo& info) {
  return napix::to_js_error(info.Env(), error_arg(info)).Value();
}

// throwError(name, message, code?) throws it through throw_js (both modes end in a JS throw).
Napi::Value throw_error(const Napi::CallbackInfo& info) {
  napix::throw_js(info.Env(), error_arg(info));
  return info.Env().Undefined();
}

// The first error wins: a second throw_js while one is pending must not replace it.
Napi::Value throw_twice(const Napi::CallbackInfo& info) {
#if NAPIX_EXCEPTIONS
  try {
    napix::throw_js(info.Env(), Error("first"));
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
#else
  napix::throw_js(info.Env(), Error("first"));
  napix::throw_js(info.Env(), Error("second"));
  return info.Env().Undefined();
#endif
}

// Copies what fn() throws into a JsError and returns its fields as a plain object.
Napi::Value capture_js_error(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napi_value result;
  napi_status status =
      napi_call_function(env, env.Undefined(), info[0], 0, nullptr, &result);
  Napi::Object out = Napi::Object::New(env);
  if (status != napi_pending_exception) {
    out.Set("threw", false);
    return out;
  }
  napi_value thrown;
  napi_get_and_clear_last_exception(env, &thrown);
  napix::JsError e = napix::JsError::from_value(Napi::Value(env, thrown));
  out.Set("threw", true);
  out.Set("name", e.name());
  out.Set("message", e.message());
  out.Set("stack", e.stack());
  out.Set("code", e.code());
  out.Set("what", e.what());
  out.Set("pending", env.IsExceptionPending());
  Error plain = e.to_error();
  out.Set("plain", plain.name + "|" + plain.message + "|" + plain.code);
  return out;
}

Result<int> checked_half(int x) {
  if (x % 2 != 0) return Error::range_error("odd: " + std::to_string(x), "ERR_ODD");
  return x / 2;
}

// resultHalf(n): Result<int> turned into a value or a throw, the way exceptions-off code does it.
Napi::Value result_half(const Napi::CallbackInfo& info) {
  Result<int> r = checked_half(info[0].As<Napi::Number>().Int32Value());
  if (!r) {
    napix::throw_js(info.Env(), r.error());
    return info.Env().Undefined();
  }
  return Napi::Number::New(info.Env(), *r);
}

// Result<T> with a move-only T, Result<void>, and the accessors on both halves.
Napi::Value result_shapes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  Result<std::unique_ptr<int>> owned = std::make_unique<int>(41);
  Result<std::unique_ptr<int>> moved = std::move(owned);
  std::unique_ptr<int> p = std::move(moved).value();
  out.Set("moveOnly", *p + 1);
  Result<void> fine;
  Result<void> bad = Error("TypeError", "nope");
  out.Set("voidOk", fine.ok());
  out.Set("voidBad", !bad.ok() && bad.error().name == "TypeError");
  Result<std::string> s = std::string("text");
  out.Set("stringValue", s->size() == 4 && *s == "text");
  Result<std::string> e = Error::type_error("wrong");
  out.Set("typeErrorCode", e.error().code);
  out.Set("rangeErrorCode", Error::range_error("x").code);
  out.Set("errorEquality", Error("a", "b", "c") == Error("a", "b", "c") &&
                               Error("a", "b", "c") != Error("a", "b", "d"));
  out.Set("isResult", napix::is_result_v<Result<int>> && !napix::is_result_v<int> &&
                          napix::is_result_v<const Result<void>&>);
  return out;
}

// Calling value() on an error: std::logic_error with exceptions, a fatal error without.
Napi::Value result_misuse(const Napi::CallbackInfo& info) {
  Result<int> r = Error("boom");
#if NAPIX_EXCEPTIONS
  try {
    (void)r.value();
  } catch (const std::logic_error& e) {
    return Napi::String::New(info.Env(), e.what());
  }
  return Napi::String::New(info.Env(), "no exception");
#else
  (void)r.value();  // ends the process through napi_fatal_error
  return Napi::String::New(info.Env(), "survived");
#endif
}

Napi::Value closing_error_message(const Napi::CallbackInfo& info) {
  napix::ClosingError e;
  return Napi::String::New(info.Env(), e.what());
}

}  // namespace

void init_error(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
  napix_test::add(o, "statusNames", status_names);
  napix_test::add(o, "makeError", make_error);
  napix_test::add(o, "throwError", throw_error);
  napix_test::add(o, "throwTwice", throw_twice);
  napix_test::add(o, "captureJsError", capture_js_error);
  napix_test::add(o, "resultHalf", result_half);
  napix_test::add(o, "resultShapes", result_shapes);
  napix_test::add(o, "resultMisuse", result_misuse);
  napix_test::add(o, "closingErrorMessage", closing_error_message);
  exports.Set("error", o);
}
