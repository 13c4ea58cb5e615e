// napix/function.h — functions in one line: napix::function and napix::async_function turn any
// C++ callable into a JS function that converts its arguments and result (pybind11's
// cpp_function), and napix::Module / NAPIX_MODULE define a module of them, recording each one's
// TypeScript signature for `napix-dts`. doc/function.md is the guide.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "config.h"
#include "convert.h"
#include "error.h"
#include "task.h"
#include "detail/callable.h"
#include "detail/js_thread.h"
#include "detail/ts_type.h"
#include "detail/visibility.h"

namespace napix {

/// A JS function that calls `f` (a free function, a function pointer, a lambda or any functor
/// with one non-template `operator()`): each JS argument is converted to its parameter by
/// `from_js` (a missing one is `undefined`, so `std::optional<T>` parameters are optional; extra
/// ones are ignored), and `f`'s result by `to_js` (`void`: `undefined`; a `Result<T>` error is
/// thrown). Parameters of type `Napi::Env`, `const Napi::CallbackInfo&` and `Napi::Value` pass
/// through. `fn.name` is `name`, `fn.length` the number of JS parameters before the trailing
/// optional ones. `f` is stored once, in the function (no allocation per call).
/// Errors (when called): a wrong argument throws the converter's TypeError/RangeError with
/// `argument N: ` in front of its message (`argument 2: expected number, got string`; N counts JS
/// arguments from 1); a C++ exception escaping `f` becomes a JS error (a `Napi::Error` as its own
/// value); exceptions off, a JS exception `f` leaves pending propagates.
/// Thread: JS thread only (and the JS function runs there).
template <class F>
Napi::Function function(Napi::Env env, F&& f, std::string_view name = {});

/// A JS function returning a Promise of `f`'s converted result: the arguments are converted on
/// the JS thread (as `function` does; a wrong one rejects the promise), then `f` runs on the libuv
/// pool as a `task()`. When `f` takes `napix::TaskContext&` first, the JS function takes one more,
/// optional, last argument `{ signal, onProgress }`: an `AbortSignal` (aborting it rejects with an
/// AbortError or its reason, and `ctx.cancelled()` turns true) and a function called with every
/// `ctx.progress(value)`, in order, before the promise settles. Parameters must be values a pool
/// thread may hold: no `Napi::Env`, `Napi::CallbackInfo` or `Napi::Value`. The JS function never
/// throws: every failure rejects its promise. Thread: JS thread only.
template <class F>
Napi::Function async_function(Napi::Env env, F&& f, std::string_view name = {});

/// The module being defined: `def`, `def_async` and `set` add to `exports()` and record a
/// TypeScript declaration for `napix-dts` (kept on the exports object under the non-enumerable
/// key `Symbol.for("napix.signatures")`). Made by NAPIX_MODULE, or by hand inside an existing
/// node-addon-api `Init`: `napix::Module m(env, exports);`.
/// Lifetime: holds the exports object's handle: use it during the init call only.
/// Thread: JS thread only.
class Module {
 public:
  Module(Napi::Env env, Napi::Object exports) : env_(env), exports_(exports) {}

  /// Thread: JS thread only.
  Napi::Env env() const noexcept { return env_; }
  /// Thread: JS thread only.
  Napi::Object exports() const noexcept { return exports_; }

  /// `exports[name] = napix::function(env, f, name)`, declared
  /// `export declare function name(arg1: T1, arg2?: T2): R;`. Errors: as `function` (exceptions
  /// off: the JS exception is left pending and nothing is added). Thread: JS thread only.
  template <class F>
  Module& def(std::string_view name, F&& f);
  /// `exports[name] = napix::async_function(env, f, name)`, declared returning `Promise<R>`.
  /// Thread: JS thread only.
  template <class F>
  Module& def_async(std::string_view name, F&& f);
  /// `exports[name] = to_js(env, value)`, declared `export declare const name: T;`.
  /// Thread: JS thread only.
  template <class T>
  Module& set(std::string_view name, T&& value);

 private:
  template <bool Async, class F>
  Module& define(std::string_view name, F&& f);
  Module& add(std::string_view name, napi_value value, const char* kind, const std::string& params,
              const std::string& type);

  Napi::Env env_;
  Napi::Object exports_;
};

/// The key of the signatures a Module records: `exports[Symbol.for(kSignaturesKey)]`, an array of
/// `{ kind: "function", name, params, result }` and `{ kind: "const", name, type }` (TypeScript
/// text). `napix-dts` reads it.
NAPIX_LOCAL inline constexpr const char* kSignaturesKey = "napix.signatures";

namespace detail {
// NAPIX_MODULE's Node-API entry point: runs `body` with a Module on `exports`; whatever it throws
// becomes the JS exception `require()` throws.
inline napi_value init_module(napi_env env, napi_value exports, void (*body)(Module&));
}  // namespace detail

}  // namespace napix

/// Defines the addon's module: `NAPIX_MODULE(NODE_GYP_MODULE_NAME, m) { m.def("add", add); }` —
/// the block is the body of a function taking `napix::Module& m`. One per addon (it is the addon's
/// Node-API entry point, like NODE_API_MODULE).
#define NAPIX_MODULE(modname, m)                                               \
  static void napix_module_body(::napix::Module& m);                           \
  static napi_value napix_module_register(napi_env env, napi_value exports) {  \
    return ::napix::detail::init_module(env, exports, napix_module_body);      \
  }                                                                            \
  NAPI_MODULE(modname, napix_module_register)                                  \
  static void napix_module_body(::napix::Module& m)

namespace napix {
namespace detail {

/// What a parameter receives: a converted JS argument, or something injected.
enum class ParamKind : unsigned char { js, env, info, context };

template <class P>
constexpr ParamKind param_kind() {
  using D = remove_cvref_t<P>;
  if constexpr (std::is_same_v<D, Napi::Env>) {
    return ParamKind::env;
  } else if constexpr (std::is_same_v<D, Napi::CallbackInfo>) {
    return ParamKind::info;
  } else if constexpr (std::is_same_v<D, TaskContext>) {
    return ParamKind::context;
  } else {
    return ParamKind::js;
  }
}

/// The layout of a parameter list: which JS argument each parameter takes.
template <class... P>
struct Params {
  NAPIX_LOCAL static constexpr std::size_t count = sizeof...(P);
  // One extra element so that no array is empty.
  NAPIX_LOCAL static constexpr ParamKind kinds[count + 1] = {param_kind<P>()..., ParamKind::env};
  NAPIX_LOCAL static constexpr bool optional[count + 1] = {is_specialization_of_v<P, std::optional>..., false};
  NAPIX_LOCAL static constexpr std::size_t js_count = ((param_kind<P>() == ParamKind::js ? 1 : 0) + ... + 0);
  NAPIX_LOCAL static constexpr bool needs_info = ((param_kind<P>() == ParamKind::info) || ...);
  NAPIX_LOCAL static constexpr bool has_context = ((param_kind<P>() == ParamKind::context) || ...);

  /// The JS argument (from 0) parameter `i` takes, when it takes one.
  NAPIX_LOCAL static constexpr std::size_t js_index(std::size_t i) {
    std::size_t n = 0;
    for (std::size_t j = 0; j < i; ++j) n += kinds[j] == ParamKind::js ? 1 : 0;
    return n;
  }
  /// How many JS arguments come before the trailing optional ones: `fn.length`.
  NAPIX_LOCAL static constexpr std::size_t required() {
    std::size_t n = 0, last = 0;
    for (std::size_t j = 0; j < count; ++j) {
      if (kinds[j] != ParamKind::js) continue;
      ++n;
      if (!optional[j]) last = n;
    }
    return last;
  }
};

/// The compile-time checks of one parameter, each with a message saying what to write instead.
template <bool Async, class P>
constexpr bool check_param() {
  using D = remove_cvref_t<P>;
  constexpr ParamKind kind = param_kind<P>();
  if constexpr (kind == ParamKind::info) {
    static_assert(std::is_same_v<P, const Napi::CallbackInfo&>,
                  "napix::function: take the Napi::CallbackInfo as `const Napi::CallbackInfo&`");
    static_assert(!Async,
                  "napix::async_function: a Napi::CallbackInfo cannot go to the thread pool; "
                  "take C++ values (converted on the JS thread)");
  } else if constexpr (kind == ParamKind::env) {
    static_assert(!Async,
                  "napix::async_function: Napi::Env cannot be used on the thread pool; use "
                  "napix::function, or a Channel to reach the JS thread");
  } else if constexpr (kind == ParamKind::context) {
    static_assert(Async, "napix::function: a napix::TaskContext& parameter needs "
                         "napix::async_function (it runs on the thread pool)");
    static_assert(std::is_same_v<P, TaskContext&>,
                  "napix::async_function: take the context as `napix::TaskContext&`");
  } else {
    static_assert(!std::is_lvalue_reference_v<P> || std::is_const_v<std::remove_reference_t<P>>,
                  "napix::function: a `T&` parameter cannot receive a converted JS value; take "
                  "T or const T&");
    static_assert(!Async || !std::is_base_of_v<Napi::Value, D>,
                  "napix::async_function: a Napi::Value cannot go to the thread pool; take a C++ "
                  "type (from_js converts it on the JS thread)");
  }
  return true;
}

/// Where a call's arguments are. `info` is set only when a parameter wants it.
struct ArgSource {
  napi_env env;
  const napi_value* argv;
  const Napi::CallbackInfo* info;
};

/// One parameter's value between conversion and the call: a JS argument converted to P's type.
template <class P, ParamKind = param_kind<P>()>
struct Slot {
  using Value = remove_cvref_t<P>;
  std::optional<Value> value;
  bool load(const ArgSource& src, std::size_t index, ConvertContext& cx) {
    value = cx.convert<Value>(Napi::Value(src.env, src.argv[index]));
    return value.has_value();
  }
  Value&& pass(TaskContext*) { return std::move(*value); }
};
template <class P>
struct Slot<P, ParamKind::env> {
  napi_env env = nullptr;
  bool load(const ArgSource& src, std::size_t, ConvertContext&) {
    env = src.env;
    return true;
  }
  Napi::Env pass(TaskContext*) { return Napi::Env(env); }
};
template <class P>
struct Slot<P, ParamKind::info> {
  const Napi::CallbackInfo* info = nullptr;
  bool load(const ArgSource& src, std::size_t, ConvertContext&) {
    info = src.info;
    return true;
  }
  const Napi::CallbackInfo& pass(TaskContext*) { return *info; }
};
template <class P>
struct Slot<P, ParamKind::context> {
  bool load(const ArgSource&, std::size_t, ConvertContext&) { return true; }
  TaskContext& pass(TaskContext* ctx) { return *ctx; }
};

/// Converts the arguments into `slots`, stopping at the first failure; `failed` is then that
/// argument's number (from 1).
template <class... P, std::size_t... I>
bool load_all(std::tuple<Slot<P>...>& slots, const ArgSource& src, ConvertContext& cx,
              std::size_t& failed, std::index_sequence<I...>) {
  (void)slots, (void)src, (void)cx, (void)failed;  // unused without parameters
  auto one = [&](auto& slot, std::size_t index) {
    if (slot.load(src, index, cx)) return true;
    failed = index + 1;
    return false;
  };
  (void)one;
  return (one(std::get<I>(slots), Params<P...>::js_index(I)) && ...);
}

/// The JS error for a failed argument conversion: a JS exception it raised (a getter, a Proxy
/// trap), unchanged; otherwise the converter's error with `argument N: ` in front.
NAPIX_NOINLINE inline napi_value argument_error(napi_env env, ConvertContext& cx,
                                                std::size_t argument) {
  if (napi_value thrown = take_pending_exception(env)) return thrown;
  Error error = cx.take_error(/*keep_pending=*/false);
  error.message.insert(0, "argument " + std::to_string(argument) + ": ");
  return to_js_error(Napi::Env(env), error).Value();
}

/// Throws `error` unless a JS exception is already pending (the first error wins). Returns null,
/// what a callback returns with an exception pending.
NAPIX_NOINLINE inline napi_value throw_error(napi_env env, const Error& error) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && !pending) {
    napi_value value = to_js_error(Napi::Env(env), error).Value();
    if (value != nullptr) napi_throw(env, value);
  }
  return nullptr;
}

/// A promise already rejected with `reason`: how an async function reports a failure.
NAPIX_NOINLINE inline napi_value rejected(napi_env env, napi_value reason) {
  napi_deferred deferred = nullptr;
  napi_value promise = nullptr;
  if (reason == nullptr) napi_get_undefined(env, &reason);
  if (napi_create_promise(env, &deferred, &promise) != napi_ok) {
    napi_throw(env, reason);
    return nullptr;
  }
  napi_reject_deferred(env, deferred, reason);
  return promise;
}

inline napi_value undefined_value(napi_env env) {
  napi_value out = nullptr;
  napi_get_undefined(env, &out);
  return out;
}

/// The callable a sync function's data word holds: in the word itself, or on the heap.
template <class F, bool = fits_in_word_v<F>>
class CallableRef {
 public:
  explicit CallableRef(void* data) noexcept : word_(data) {}
  F& get() noexcept { return word_.get(); }

 private:
  WordCallable<F> word_;
};
template <class F>
class CallableRef<F, false> {
 public:
  explicit CallableRef(void* data) noexcept : f_(static_cast<F*>(data)) {}
  F& get() noexcept { return *f_; }

 private:
  F* f_;
};

/// The callback of a `napix::function`.
template <class F, class R, class... P>
struct SyncCall {
  using Layout = Params<P...>;
  NAPIX_LOCAL static constexpr std::size_t kArgc = Layout::js_count;

  static napi_value callback(napi_env env, napi_callback_info cbinfo) {
    NAPIX_TRY {
      return run(env, cbinfo);
    }
    NAPIX_CATCH(...) {
      napi_throw(env, caught_js_error(env));
    }
    return nullptr;
  }

  static napi_value run(napi_env env, napi_callback_info cbinfo) {
    napi_value argv[kArgc + 1];
    if constexpr (Layout::needs_info) {
      Napi::CallbackInfo info(env, cbinfo);
      for (std::size_t i = 0; i != kArgc; ++i) argv[i] = info[i];
      return call(ArgSource{env, argv, &info}, info.Data(), std::index_sequence_for<P...>());
    } else {
      std::size_t argc = kArgc;
      void* data = nullptr;
      if (napi_get_cb_info(env, cbinfo, kArgc ? &argc : nullptr, kArgc ? argv : nullptr, nullptr,
                           &data) != napi_ok) {
        return nullptr;
      }
      return call(ArgSource{env, argv, nullptr}, data, std::index_sequence_for<P...>());
    }
  }

  template <std::size_t... I>
  static napi_value call(const ArgSource& src, void* data, std::index_sequence<I...> seq) {
    napi_env env = src.env;
    ConvertContext cx(env);
    std::tuple<Slot<P>...> slots;
    std::size_t failed = 0;
    if (!load_all<P...>(slots, src, cx, failed, seq)) {
      napi_throw(env, argument_error(env, cx, failed));
      return nullptr;
    }
    CallableRef<F> f(data);
    if constexpr (std::is_void_v<R>) {
      f.get()(std::get<I>(slots).pass(nullptr)...);
      return undefined_value(env);
    } else if constexpr (is_result_v<R>) {
      R result = f.get()(std::get<I>(slots).pass(nullptr)...);
      if (!result) return throw_error(env, result.error());
      if constexpr (std::is_void_v<typename remove_cvref_t<R>::value_type>) {
        return undefined_value(env);
      } else {
        return napix::to_js(Napi::Env(env), std::move(result).value());
      }
    } else {
      return napix::to_js(Napi::Env(env), f.get()(std::get<I>(slots).pass(nullptr)...));
    }
  }
};

/// The callback of a `napix::async_function`.
template <class F, class R, class... P>
struct AsyncCall {
  using Layout = Params<P...>;
  NAPIX_LOCAL static constexpr std::size_t kArgc = Layout::js_count + (Layout::has_context ? 1 : 0);
  // Small trivial callables are copied into each task; others are shared with it, so a task
  // still running when the JS function is collected keeps its callable.
  using Stored = std::conditional_t<fits_in_word_v<F>, F, std::shared_ptr<F>>;

  /// The task's execute: the callable and the converted arguments.
  struct Execute {
    Stored callable;
    std::tuple<Slot<P>...> slots;

    R operator()(TaskContext& ctx) { return call(ctx, std::index_sequence_for<P...>()); }
    template <std::size_t... I>
    R call(TaskContext& ctx, std::index_sequence<I...>) {
      if constexpr (fits_in_word_v<F>) {
        return callable(std::get<I>(slots).pass(&ctx)...);
      } else {
        return (*callable)(std::get<I>(slots).pass(&ctx)...);
      }
    }
  };

  static napi_value callback(napi_env env, napi_callback_info cbinfo) {
    NAPIX_TRY {
      return run(env, cbinfo);
    }
    NAPIX_CATCH(...) {
      return rejected(env, caught_js_error(env));
    }
    return nullptr;
  }

  static napi_value run(napi_env env, napi_callback_info cbinfo) {
    napi_value argv[kArgc + 1];
    std::size_t argc = kArgc;
    void* data = nullptr;
    if (napi_get_cb_info(env, cbinfo, kArgc ? &argc : nullptr, kArgc ? argv : nullptr, nullptr,
                         &data) != napi_ok) {
      return nullptr;
    }
    ConvertContext cx(env);
    Execute execute{stored(data), {}};
    std::size_t failed = 0;
    if (!load_all<P...>(execute.slots, ArgSource{env, argv, nullptr}, cx, failed,
                        std::index_sequence_for<P...>())) {
      return rejected(env, argument_error(env, cx, failed));
    }
    TaskBuilder<Execute> builder(Napi::Env(env), std::move(execute));
    if constexpr (Layout::has_context) {
      if (!apply_options(builder, Napi::Value(env, argv[Layout::js_count]), cx)) {
        return rejected(env, argument_error(env, cx, Layout::js_count + 1));
      }
    }
    return builder.promise();
  }

  static Stored stored(void* data) {
    if constexpr (fits_in_word_v<F>) {
      return WordCallable<F>(data).get();
    } else {
      return *static_cast<std::shared_ptr<F>*>(data);
    }
  }

  // The last argument `{ signal, onProgress }` (undefined or null: none). False: a failure is
  // recorded in `cx`.
  static bool apply_options(TaskBuilder<Execute>& builder, Napi::Value options,
                            ConvertContext& cx) {
    if (options.IsUndefined() || options.IsNull()) return true;
    if (options.Type() != napi_object) return (cx.fail_type("object", options), false);
    std::optional<Napi::Value> signal = cx.field<Napi::Value>(options, "signal");
    if (!signal) return false;
    if (!signal->IsUndefined() && !signal->IsNull()) {
      if (!abort_signal_state(cx.env(), *signal)) {
        ConvertContext::PathScope scope = cx.push_key("signal");
        return (cx.fail_type("AbortSignal", *signal), false);
      }
      builder.signal(*signal);
    }
    std::optional<std::optional<Napi::Function>> progress =
        cx.field<std::optional<Napi::Function>>(options, "onProgress");
    if (!progress) return false;
    if (*progress) builder.on_progress(**progress);
    return true;
  }
};

template <class T>
struct TypeTag {
  using type = T;
};

/// The TypeScript of a parameter list and result: `arg1: number, arg2?: string | null` and
/// `number` (`Promise<number>` for an async function).
template <bool Async, class R, class... P>
std::pair<std::string, std::string> ts_signature() {
  using Layout = Params<P...>;
  std::string params;
  std::size_t argument = 0;
  auto one = [&](auto tag) {
    using Param = typename decltype(tag)::type;
    if constexpr (param_kind<Param>() == ParamKind::js) {
    ++argument;
    if (!params.empty()) params += ", ";
    params += "arg" + std::to_string(argument);
    if constexpr (is_specialization_of_v<Param, std::optional>) {
      if (argument > Layout::required()) {
        params += "?: ";
        write_ts_type<typename remove_cvref_t<Param>::value_type>(params, TsSide::param);
        params += " | null";
        return;
      }
    }
    params += ": ";
    write_ts_type<Param>(params, TsSide::param);
    }
  };
  (one(TypeTag<P>()), ...);
  (void)one;
  if (Layout::has_context) {
    if (!params.empty()) params += ", ";
    params += "options?: { signal?: AbortSignal | null; onProgress?: ((value: any) => void) | null }";
  }
  std::string result = ts_type<R>(TsSide::result);
  if (Async) result = "Promise<" + result + ">";
  return {std::move(params), std::move(result)};
}

/// Makes the JS function of a callable F with result R and parameters P.
template <bool Async, class F, class R, class List>
struct FunctionMaker;
template <bool Async, class F, class R, class... P>
struct FunctionMaker<Async, F, R, TypeList<P...>> {
  static_assert((check_param<Async, P>() && ... && true));
  static_assert(!Async || Params<P...>::kinds[0] == ParamKind::context ||
                    !Params<P...>::has_context,
                "napix::async_function: napix::TaskContext& must be the first parameter");
  static_assert(!Async || !std::is_reference_v<R>,
                "napix::async_function: return a value, not a reference (the result travels "
                "from the thread pool to the JS thread)");
  using Call = std::conditional_t<Async, AsyncCall<F, R, P...>, SyncCall<F, R, P...>>;

  template <class G>
  static Napi::Function make(Napi::Env env, G&& f, std::string_view name) {
    void* data = nullptr;
    napi_finalize finalize = nullptr;
    if constexpr (fits_in_word_v<F>) {
      data = to_word<F>(f);
    } else if constexpr (Async) {
      data = new std::shared_ptr<F>(std::make_shared<F>(std::forward<G>(f)));
      finalize = [](napi_env, void* p, void*) { delete static_cast<std::shared_ptr<F>*>(p); };
    } else {
      data = new F(std::forward<G>(f));
      finalize = [](napi_env, void* p, void*) { delete static_cast<F*>(p); };
    }
    return create(env, name, data, finalize, Params<P...>::required());
  }

  static Napi::Function create(napi_env env, std::string_view name, void* data,
                               napi_finalize finalize, std::size_t length) {
    napi_value fn = nullptr;
    napi_status status = napi_create_function(env, name.empty() ? "" : name.data(), name.size(),
                                              Call::callback, data, &fn);
    if (status == napi_ok && finalize != nullptr) {
      status = napi_add_finalizer(env, fn, data, finalize, nullptr, nullptr);
    }
    if (status != napi_ok) {
      if (finalize != nullptr) finalize(env, data, nullptr);
      return Napi::Function(env, to_js_failed(env));
    }
    if (length > 0) {
      // `length` is a configurable, read-only own property of every function.
      napi_value value = nullptr;
      status = napi_create_uint32(env, static_cast<std::uint32_t>(length), &value);
      napi_property_descriptor descriptor{"length", nullptr, nullptr, nullptr,
                                          nullptr,  value,   napi_configurable, nullptr};
      if (status == napi_ok) status = napi_define_properties(env, fn, 1, &descriptor);
      if (status != napi_ok) return Napi::Function(env, to_js_failed(env));
    }
    return Napi::Function(env, fn);
  }
};

template <bool Async, class F>
using MakerFor = FunctionMaker<Async, F, typename CallableTraits<F>::result,
                               typename CallableTraits<F>::params>;

template <bool Async, class R, class List>
struct SignatureText;
template <bool Async, class R, class... P>
struct SignatureText<Async, R, TypeList<P...>> {
  static std::pair<std::string, std::string> get() { return ts_signature<Async, R, P...>(); }
};

template <bool Async, class F>
std::pair<std::string, std::string> sig_of() {
  return SignatureText<Async, typename CallableTraits<F>::result,
                       typename CallableTraits<F>::params>::get();
}

template <class F>
constexpr bool check_callable() {
  static_assert(CallableTraits<F>::valid,
                "napix::function: cannot tell this callable's parameters (a generic lambda, or "
                "an overloaded operator()?); give its parameters explicit types");
  return CallableTraits<F>::valid;
}

/// Adds `{kind, name, ...fields}` to the signatures on `exports` (made, non-enumerable, on first
/// use). Best effort: a failure (a frozen exports object) only loses the declaration.
inline void record_signature(napi_env env, napi_value exports, const char* kind,
                             std::string_view name, const char* key1, const std::string& value1,
                             const char* key2, const std::string& value2);

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Definitions

template <class F>
Napi::Function function(Napi::Env env, F&& f, std::string_view name) {
  using Fn = std::decay_t<F>;
  if constexpr (detail::check_callable<Fn>()) {
    return detail::MakerFor<false, Fn>::make(env, std::forward<F>(f), name);
  } else {
    return Napi::Function();
  }
}

template <class F>
Napi::Function async_function(Napi::Env env, F&& f, std::string_view name) {
  using Fn = std::decay_t<F>;
  if constexpr (detail::check_callable<Fn>()) {
    return detail::MakerFor<true, Fn>::make(env, std::forward<F>(f), name);
  } else {
    return Napi::Function();
  }
}

template <class F>
Module& Module::def(std::string_view name, F&& f) {
  return define<false>(name, std::forward<F>(f));
}

template <class F>
Module& Module::def_async(std::string_view name, F&& f) {
  return define<true>(name, std::forward<F>(f));
}

template <bool Async, class F>
Module& Module::define(std::string_view name, F&& f) {
  using Fn = std::decay_t<F>;
  if constexpr (detail::check_callable<Fn>()) {
    Napi::Function fn;
    if constexpr (Async) {
      fn = async_function(env_, std::forward<F>(f), name);
    } else {
      fn = function(env_, std::forward<F>(f), name);
    }
    if (fn.IsEmpty()) return *this;  // exceptions off: the JS exception is pending
    auto [params, result] = detail::sig_of<Async, Fn>();
    return add(name, fn, "function", params, result);
  }
  return *this;
}

template <class T>
Module& Module::set(std::string_view name, T&& value) {
  Napi::Value js = napix::to_js(env_, std::forward<T>(value));
  if (js.IsEmpty()) return *this;
  return add(name, js, "const", {}, detail::ts_type<T>(detail::TsSide::result));
}

inline Module& Module::add(std::string_view name, napi_value value, const char* kind,
                           const std::string& params, const std::string& type) {
  napi_env env = env_;
  napi_value key = nullptr;
  if (napi_create_string_utf8(env, name.empty() ? "" : name.data(), name.size(), &key) != napi_ok ||
      napi_set_property(env, exports_, key, value) != napi_ok) {
    detail::to_js_failed(env);
    return *this;
  }
  if (std::string_view(kind) == "function") {
    detail::record_signature(env, exports_, kind, name, "params", params, "result", type);
  } else {
    detail::record_signature(env, exports_, kind, name, "type", type, nullptr, {});
  }
  return *this;
}

namespace detail {

inline void record_signature(napi_env env, napi_value exports, const char* kind,
                             std::string_view name, const char* key1, const std::string& value1,
                             const char* key2, const std::string& value2) {
  napi_value global = nullptr, symbol_ctor = nullptr, symbol_for = nullptr, text = nullptr;
  napi_value key = nullptr, list = nullptr, entry = nullptr, value = nullptr;
  bool has = false, ok = true;
  auto check = [&](napi_status status) { return ok = ok && status == napi_ok; };
  auto set = [&](const char* field, std::string_view s) {
    check(napi_create_string_utf8(env, s.empty() ? "" : s.data(), s.size(), &value)) &&
        check(napi_set_named_property(env, entry, field, value));
  };
  // Symbol.for(kSignaturesKey): the same symbol in every realm and in napix-dts.
  check(napi_get_global(env, &global)) &&
      check(napi_get_named_property(env, global, "Symbol", &symbol_ctor)) &&
      check(napi_get_named_property(env, symbol_ctor, "for", &symbol_for)) &&
      check(napi_create_string_utf8(env, kSignaturesKey, NAPI_AUTO_LENGTH, &text)) &&
      check(napi_call_function(env, symbol_ctor, symbol_for, 1, &text, &key)) &&
      check(napi_has_own_property(env, exports, key, &has));
  if (ok && has) {
    check(napi_get_property(env, exports, key, &list));
  } else if (ok) {
    // Non-enumerable: Object.keys, for..in and console.log do not show it.
    check(napi_create_array(env, &list));
    napi_property_descriptor descriptor{nullptr, key,  nullptr, nullptr, nullptr,
                                        list,    napi_configurable, nullptr};
    check(napi_define_properties(env, exports, 1, &descriptor));
  }
  std::uint32_t length = 0;
  check(napi_create_object(env, &entry)) && check(napi_get_array_length(env, list, &length));
  set("kind", kind);
  set("name", name);
  set(key1, value1);
  if (key2 != nullptr) set(key2, value2);
  check(napi_set_element(env, list, length, entry));
  if (!ok) clear_pending_js_error(env);
}

inline napi_value init_module(napi_env env, napi_value exports, void (*body)(Module&)) {
  NAPIX_TRY {
    Module module(Napi::Env(env), Napi::Object(env, exports));
    body(module);
    return exports;
  }
  NAPIX_CATCH(...) {
    napi_throw(env, caught_js_error(env));
  }
  return nullptr;
}

}  // namespace detail
}  // namespace napix
