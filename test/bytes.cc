// Test functions for napix/bytes.h: Bytes filled on a native thread, handed to a Buffer without a
// copy (or copied where external buffers are not allowed: forced through the test hook).
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "common.h"

namespace {

using napix_test::state;

// The byte at `i` of every test pattern.
std::uint8_t pattern(std::size_t i) { return static_cast<std::uint8_t>((i * 31 + 7) & 0xff); }

// hooks(): the process-wide counters of napix's test hook {external, copied, freed}.
Napi::Value hooks(const Napi::CallbackInfo& info) {
  auto& h = napix::detail::buffer_hooks();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("external", double(h.external.load()));
  o.Set("copied", double(h.copied.load()));
  o.Set("freed", double(h.freed.load()));
  return o;
}

// forceCopy(on): the test hook's "as if napi_no_external_buffers_allowed".
Napi::Value force_copy(const Napi::CallbackInfo& info) {
  napix::detail::buffer_hooks().force_copy = info[0].As<Napi::Boolean>().Value();
  return info.Env().Undefined();
}

// fromThread(kind, size): a promise of a Buffer made from bytes filled on a native thread:
// 'bytes' (Bytes(size) through data()), 'uninitialized' (Bytes::uninitialized), 'vector' (a std::vector moved into Bytes), 'string' (a
// std::string moved into Bytes), 'raw-vector' (to_js of a std::vector&&). Also resolves with
// whether the Buffer's memory is the very memory the thread filled ({buffer, same}). `copy`
// (optional): the thread calls set_zero_copy(false) on the Bytes before moving it on; then
// `zeroCopy` is what zero_copy() said on the JS thread, after the moves.
Napi::Value from_thread(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  std::size_t size = static_cast<std::size_t>(info[1].As<Napi::Number>().Int64Value());
  const bool copy = info.Length() > 2 && info[2].ToBoolean().Value();
  napix::Channel channel(env);
  auto [d, p] = napix::promise(env);
  state(env).spawn([channel, kind, size, copy, d = std::move(d)]() mutable {
    napix::Bytes bytes;
    std::vector<std::uint8_t> raw;
    if (kind == "bytes" || kind == "uninitialized") {
      bytes = kind == "bytes" ? napix::Bytes(size) : napix::Bytes::uninitialized(size);
      for (std::size_t i = 0; i < bytes.size(); ++i) bytes.data()[i] = pattern(i);
    } else if (kind == "vector" || kind == "raw-vector") {
      raw.resize(size);
      for (std::size_t i = 0; i < size; ++i) raw[i] = pattern(i);
      if (kind == "vector") bytes = napix::Bytes(std::move(raw));
    } else if (kind == "string") {
      std::string s(size, '\0');
      for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>(pattern(i));
      bytes = napix::Bytes(std::move(s));
    }
    if (copy) bytes.set_zero_copy(false);
    const void* filled = kind == "raw-vector" ? static_cast<const void*>(raw.data())
                                              : static_cast<const void*>(bytes.data());
    channel.settle_with(std::move(d), [bytes = std::move(bytes), raw = std::move(raw), kind,
                                       filled](Napi::Env env) mutable {
      const bool zero_copy = bytes.zero_copy();
      Napi::Value buffer = kind == "raw-vector" ? napix::to_js(env, std::move(raw))
                                                : napix::to_js(env, std::move(bytes));
      Napi::Object o = Napi::Object::New(env);
      o.Set("zeroCopy", zero_copy);
      o.Set("buffer", buffer);
      o.Set("same", buffer.As<Napi::Buffer<std::uint8_t>>().Data() == filled);
      o.Set("leftEmpty", bytes.empty() && raw.empty());
      return o;
    });
  });
  return p;
}

// makeAndDrop(size): a Bytes given to a Buffer that JS drops at once (for the GC spec).
Napi::Value make_and_drop(const Napi::CallbackInfo& info) {
  napix::Bytes bytes(static_cast<std::size_t>(info[0].As<Napi::Number>().Int64Value()));
  napix::to_js(info.Env(), std::move(bytes));
  return info.Env().Undefined();
}

// pool(): the Bytes block pool's counters {hits, misses, held} (napix/detail/byte_pool.h).
Napi::Value pool(const Napi::CallbackInfo& info) {
  napix::detail::BytePool::Stats st = napix::detail::byte_pool().stats();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("hits", double(st.hits));
  o.Set("misses", double(st.misses));
  o.Set("held", double(st.held));
  return o;
}

// dirty(size, byte): a Buffer over a Bytes::uninitialized(size) filled with `byte` (external).
Napi::Value dirty(const Napi::CallbackInfo& info) {
  auto b = napix::Bytes::uninitialized(static_cast<std::size_t>(info[0].As<Napi::Number>().Int64Value()));
  std::memset(b.data(), info[1].As<Napi::Number>().Int32Value(), b.size());
  return napix::to_js(info.Env(), std::move(b));
}

// fresh(size, zeroed): makes Bytes(size) (zeroed) or Bytes::uninitialized(size) and tells
// {hit: it came from the pool, zero: every byte is 0, first: its first byte}; frees it again.
Napi::Value fresh(const Napi::CallbackInfo& info) {
  const auto size = static_cast<std::size_t>(info[0].As<Napi::Number>().Int64Value());
  const std::size_t hits = napix::detail::byte_pool().stats().hits;
  napix::Bytes b = info[1].As<Napi::Boolean>().Value() ? napix::Bytes(size) : napix::Bytes::uninitialized(size);
  bool zero = true;
  for (std::uint8_t c : b) zero = zero && c == 0;
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("hit", napix::detail::byte_pool().stats().hits == hits + 1);
  o.Set("zero", zero);
  o.Set("first", double(b.data()[0]));
  return o;
}

// doc/persistent.md
// readFile(path) -> Promise<Buffer>: read on a native thread into Bytes; the Buffer JS gets is that
// memory (no copy on the JS thread).
Napi::Value read_file(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  auto [deferred, promise] = napix::promise(info.Env());
  napix::Channel channel(info.Env());
  std::thread([channel, path, deferred = std::move(deferred)]() mutable {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    napix::Bytes bytes(in ? static_cast<std::size_t>(in.tellg()) : 0);
    in.seekg(0);
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    channel.settle_with(std::move(deferred), [bytes = std::move(bytes)](Napi::Env env) mutable {
      return napix::to_js(env, std::move(bytes));
    });
  }).detach();
  return promise;
}

}  // namespace

void init_bytes(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
  napix_test::add(o, "hooks", hooks);
  napix_test::add(o, "forceCopy", force_copy);
  napix_test::add(o, "fromThread", from_thread);
  napix_test::add(o, "makeAndDrop", make_and_drop);
  napix_test::add(o, "readFile", read_file);
  napix_test::add(o, "pool", pool);
  napix_test::add(o, "dirty", dirty);
  napix_test::add(o, "fresh", fresh);
  exports.Set("bytes", o);
}
