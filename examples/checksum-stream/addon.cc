// checksum-stream — the CRC-32 of a JavaScript stream of byte chunks, computed on the libuv pool:
// napix::reader reads any async iterable (a Readable, a ReadableStream, an async generator) from
// a native thread, prefetching chunks while the thread works.
//
//   crc32(iterable, { limit? }) -> Promise<{ crc: string, bytes: number }>
//
// `crc` is the CRC-32 (IEEE 802.3, as zlib and PNG use) as 8 hex digits. With `limit`, the thread
// stops after that many bytes and cancels the reader: the source's return() runs on the JS
// thread, so a Readable is destroyed and a ReadableStream cancelled. A chunk that is not a
// Uint8Array (Buffer included) rejects with a TypeError; a stream that errors rejects with its
// error.
#include <napix.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace {

// CRC-32, reflected, polynomial 0xEDB88320: one table of 256 entries, one byte at a time.
struct Crc32 {
  static const std::array<std::uint32_t, 256>& table() {
    static const std::array<std::uint32_t, 256> t = [] {
      std::array<std::uint32_t, 256> out{};
      for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        out[i] = c;
      }
      return out;
    }();
    return t;
  }

  std::uint32_t state = 0xFFFFFFFFu;

  void update(const std::uint8_t* data, std::size_t size) {
    const auto& t = table();
    for (std::size_t i = 0; i < size; ++i) state = t[(state ^ data[i]) & 0xFF] ^ (state >> 8);
  }

  std::string hex() const {
    char text[9];
    std::snprintf(text, sizeof text, "%08x", static_cast<unsigned>(state ^ 0xFFFFFFFFu));
    return text;
  }
};

struct Sum {
  std::string crc;
  double bytes = 0;
};

Napi::Value crc32(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double limit = -1;
  if (info[1].IsObject() && info[1].As<Napi::Object>().Has("limit")) {
    limit = napix::from_js<double>(info[1].As<Napi::Object>().Get("limit"));
  }
  // JS thread: not an async iterable throws a TypeError here. Eight chunks ahead at most.
  napix::ReaderOptions options;
  options.high_water_mark = 8;
  auto chunks = napix::reader<std::vector<std::uint8_t>>(info[0], options);
  // The pool thread blocks in read() while the JS thread reads the file: neither waits for the
  // other longer than it must. A rejection or a bad chunk throws JsError, which rejects the promise.
  return napix::task(env, [chunks = std::move(chunks), limit]() mutable {
           Crc32 crc;
           double bytes = 0;
           while (std::optional<std::vector<std::uint8_t>> chunk = chunks.read()) {
             std::size_t take = chunk->size();
             if (limit >= 0 && bytes + take > limit) take = static_cast<std::size_t>(limit - bytes);
             crc.update(chunk->data(), take);
             bytes += take;
             if (limit >= 0 && bytes >= limit) {
               chunks.cancel();  // the source's return() runs on the JS thread
               break;
             }
           }
           return Sum{crc.hex(), bytes};
         })
      .promise([](Napi::Env env, Sum&& sum) {
        Napi::Object out = Napi::Object::New(env);
        out.Set("crc", sum.crc);
        out.Set("bytes", sum.bytes);
        return out;
      });
}

}  // namespace

NAPIX_MODULE(addon, m) {
  m.exports().Set("crc32", Napi::Function::New(m.env(), crc32, "crc32"));
}
