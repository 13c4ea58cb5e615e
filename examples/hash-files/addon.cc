// hash-files — hash a file on the libuv threadpool with napix::task(), cancellable with an
// AbortSignal and reporting progress.
//
//   hashFile(path, { signal?, onProgress? }) -> Promise<string>
//
// The promise resolves with the file's 64-bit FNV-1a hash as 16 hex digits. Aborting `signal`
// rejects it at once with `signal.reason`; the pool thread notices at its next chunk and stops.
// onProgress(bytesHashed) is called after every 1 MiB chunk, always before the promise settles.
#include <napix.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

// FNV-1a, 64 bit (http://www.isthe.com/chongo/tech/comp/fnv/): no tables, one byte at a time.
// Not cryptographic; chosen because it fits in a few lines and is easy to check from JS.
struct Fnv1a64 {
  std::uint64_t state = 0xcbf29ce484222325ULL;  // offset basis

  void update(const unsigned char* data, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) {
      state ^= data[i];
      state *= 0x100000001b3ULL;  // FNV prime
    }
  }

  std::string hex() const {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(state));
    return text;
  }
};

using File = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

// Runs on a libuv pool thread: async_function converted `path` on the JS thread first. Taking
// napix::TaskContext& adds the optional last JS argument { signal, onProgress }. Returning a
// napix::Result lets an error reject the promise without exceptions crossing threads.
napix::Result<std::string> hash_file(napix::TaskContext& ctx, const std::string& path) {
  File file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) {
    return napix::Error("Error", "cannot open " + path, errno == ENOENT ? "ENOENT" : "EIO");
  }
  std::vector<unsigned char> chunk(1 << 20);
  Fnv1a64 hash;
  std::uint64_t hashed = 0;
  while (std::size_t n = std::fread(chunk.data(), 1, chunk.size(), file.get())) {
    // C++ cannot be stopped from outside: look once per chunk. The promise has already
    // rejected with the signal's reason, so what we return now is simply dropped.
    if (ctx.cancelled()) return napix::Error("AbortError", "cancelled", "ABORT_ERR");
    hash.update(chunk.data(), n);
    hashed += n;
    ctx.progress(hashed);  // dropped cheaply when no onProgress was given
  }
  if (std::ferror(file.get())) return napix::Error("Error", "cannot read " + path, "EIO");
  return hash.hex();
}

}  // namespace

// hashFile(path, { signal?, onProgress? }) -> Promise<string>; `npx napix-dts` prints its
// TypeScript declaration.
NAPIX_MODULE(NODE_GYP_MODULE_NAME, m) {
  m.def_async("hashFile", hash_file);
}
