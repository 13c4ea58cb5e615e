// napix/detail/env_registry.h — napix's own per-environment state, found by napi_env and freed by
// an env cleanup hook. napix never uses napi_set_instance_data: node-addon-api's
// Env::SetInstanceData owns that single slot and belongs to the addon.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "../channel.h"

namespace napix {
namespace detail {

/// One environment's napix state. Shared: handles that outlive the environment (a Deferred on a
/// native thread) keep it, and see `channel()` empty once the environment is gone.
class EnvEntry {
 public:
  EnvEntry(napi_env env, std::thread::id js_thread, std::uint64_t id)
      : env_(env), js_thread_(js_thread), id_(id) {}

  napi_env env() const noexcept { return env_; }
  /// Unique for the process's lifetime: a napi_env address may be reused by a later environment.
  std::uint64_t id() const noexcept { return id_; }
  bool on_js_thread() const noexcept { return std::this_thread::get_id() == js_thread_; }

  /// napix's internal Channel to this environment (unref'ed: it never keeps the loop alive),
  /// made on first use; empty after teardown. Thread: any; made only on the JS thread.
  std::optional<Channel> channel() {
    std::lock_guard<std::mutex> lock(mutex_);
    return channel_;
  }
  void make_channel() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (channel_ || gone_) return;
    ChannelOptions options;
    options.name = "napix:internal";
    options.keep_alive = false;
    channel_.emplace(Napi::Env(env_), options);
  }
  void close() {
    std::optional<Channel> last;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      gone_ = true;
      last.swap(channel_);
    }
  }

 private:
  const napi_env env_;
  const std::thread::id js_thread_;
  const std::uint64_t id_;
  std::mutex mutex_;
  std::optional<Channel> channel_;
  bool gone_ = false;
};

/// The entry for `env`, made (with its cleanup hook) on first use. A one-entry thread-local
/// cache makes the common case — the same environment, on its own JS thread — a compare.
/// Thread: JS thread only.
inline EnvEntry& env_entry(napi_env env);

struct EnvRegistry {
  std::mutex mutex;
  std::unordered_map<napi_env, std::shared_ptr<EnvEntry>> entries;
  std::uint64_t next_id = 1;

  // Leaked on purpose: native threads may still run during process exit, after static
  // destructors (doc/design.md, behaviour 5: main-thread process.exit() runs no teardown).
  static EnvRegistry& get() {
    static EnvRegistry* registry = new EnvRegistry();
    return *registry;
  }
  // The entry with `id`, or null. Called with `mutex` held. A scan: a process has few
  // environments, and only the slow paths (a cache miss, a drop off the JS thread) get here.
  std::shared_ptr<EnvEntry>* find_locked(std::uint64_t id) {
    for (auto& kv : entries) {
      if (kv.second->id() == id) return &kv.second;
    }
    return nullptr;
  }
};

// Plain pointers, so the thread_local is trivially destructible and every access is a plain TLS
// load (no init guard). Safe: the registry owns the entry until env_cleanup, which runs on this
// same JS thread and clears the cache first.
struct EnvCache {
  napi_env env = nullptr;
  EnvEntry* entry = nullptr;
  std::uint64_t id = 0;
};

inline EnvCache& env_cache() {
  thread_local EnvCache cache;
  return cache;
}

inline void env_cleanup(void* arg) {
  auto env = static_cast<napi_env>(arg);
  EnvCache& cache = env_cache();  // the hook runs on this environment's JS thread
  if (cache.env == env) cache = EnvCache();
  std::shared_ptr<EnvEntry> entry;
  {
    EnvRegistry& r = EnvRegistry::get();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.entries.find(env);
    if (it == r.entries.end()) return;
    entry = std::move(it->second);
    r.entries.erase(it);
  }
  entry->close();
}

inline EnvEntry& env_entry(napi_env env) {
  EnvCache& cache = env_cache();
  if (cache.env == env && cache.entry != nullptr) return *cache.entry;
  EnvRegistry& r = EnvRegistry::get();
  EnvEntry* entry = nullptr;
  bool created = false;
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    auto& slot = r.entries[env];
    if (!slot) {
      slot = std::make_shared<EnvEntry>(env, std::this_thread::get_id(), r.next_id++);
      napi_add_env_cleanup_hook(env, env_cleanup, env);
      created = true;
    }
    entry = slot.get();
  }
  // Made now, on the JS thread: a Deferred dropped on another thread needs it to get back here.
  if (created) entry->make_channel();
  cache = EnvCache{env, entry, entry->id()};
  return *entry;
}

/// The environment with process-unique `id` when the calling thread is its JS thread, else null:
/// a compare with the thread-local cache in the common case. Thread: any.
inline napi_env js_env_of(std::uint64_t id) {
  const EnvCache& cache = env_cache();
  if (cache.entry != nullptr && cache.id == id) return cache.env;
  EnvRegistry& r = EnvRegistry::get();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::shared_ptr<EnvEntry>* e = r.find_locked(id);
  return e != nullptr && (*e)->on_js_thread() ? (*e)->env() : nullptr;
}

/// The live entry of the environment with `id`, or null once it is gone. Thread: any.
inline std::shared_ptr<EnvEntry> find_env(std::uint64_t id) {
  EnvRegistry& r = EnvRegistry::get();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::shared_ptr<EnvEntry>* e = r.find_locked(id);
  return e != nullptr ? *e : nullptr;
}

}  // namespace detail
}  // namespace napix
