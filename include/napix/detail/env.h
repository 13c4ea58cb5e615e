// napix/detail/env.h — napix's one home per environment: an EnvEntry owns everything napix keeps
// for one napi_env — the async-context Trampoline every Channel and task runs through, napix's
// internal Channel (rejections of Deferreds dropped off the JS thread; task completions, progress
// and teardown probes) and the task pool. One registry, one thread-local cache, one env cleanup
// hook. napix never uses napi_set_instance_data: node-addon-api's Env::SetInstanceData owns that
// single slot and belongs to the addon. (doc/design.md, "Per-environment state".)
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../config.h"
#include "dispatcher.h"
#include "task_pool.h"
#include "trampoline.h"
#include "visibility.h"

namespace napix {
namespace detail {

/// napix's own small JavaScript helpers, compiled once per environment (EnvEntry::script).
enum class Script : unsigned { stream_iterator, reader_pump, count };
class PersistentRefs;

/// Something native threads may wait on that only its environment's JS thread can move on — a
/// StreamReader's core: registered with its EnvEntry (`listen`) while it holds JS references, so
/// teardown can wake its waiters and let go of those references.
class EnvListener {
 public:
  /// The environment is being torn down: wake the waiters (they see `closing`) and delete the JS
  /// references; nothing JS is touched after this. Thread: JS thread only (EnvEntry::close).
  virtual void env_closing(napi_env env) noexcept = 0;

 protected:
  ~EnvListener() = default;  // owned through shared_ptr to the derived type
};

class EnvEntry;

/// A wait that only JavaScript can end — a thenable's handlers (thenable.h) — listed with its
/// environment while pending, so teardown ends it even where the runtime never finalizes the
/// handlers (Bun drops a Worker's pending promise reactions unfinalized: doc/compat.md R7).
/// Thread: JS thread only.
class SettleLink {
 public:
  /// Teardown: end the wait now, as "closing". The object stays: its handlers may still be
  /// finalized (Node does, after the cleanup hooks), and then free it.
  virtual void abandon() noexcept = 0;
  /// Leaves its environment's list (no effect when not listed).
  inline void unlink() noexcept;

 protected:
  ~SettleLink() = default;

 private:
  friend class EnvEntry;
  EnvEntry* home_ = nullptr;  // while listed
  SettleLink* prev_ = nullptr;
  SettleLink* next_ = nullptr;
};

/// One napix::Persistent's reference, shared by all its copies (counted). Linked into its
/// environment's PersistentRefs while the environment lives, so teardown can delete every
/// reference still held (by native threads) and later drops touch nothing.
struct PersistentRef {
  napi_ref ref = nullptr;              // null once the environment deleted it at teardown
  std::atomic<std::size_t> count{1};   // copies
  std::shared_ptr<PersistentRefs> home;
  bool boxed = false;                  // a primitive, held as element 0 of an array
  PersistentRef* prev = nullptr;       // guarded by home's mutex
  PersistentRef* next = nullptr;
};

/// The references of one environment's Persistents: made on the first Persistent (JS thread),
/// owned by the EnvEntry and by every PersistentRef. Releases dropped off the JS thread are
/// batched: the first drop after a flush queues one closure on the internal Channel, and every
/// drop until it runs only appends to `pending_` — many drops, one wakeup, one closure.
class PersistentRefs : public std::enable_shared_from_this<PersistentRefs> {
 public:
  PersistentRefs(napi_env env, CoreHandle<> channel) noexcept
      : env_(env), js_thread_(std::this_thread::get_id()), channel_(std::move(channel)) {}

  napi_env env() const noexcept { return env_; }
  bool on_js_thread() const noexcept { return std::this_thread::get_id() == js_thread_; }

  /// Links a new reference. Thread: JS thread only. False after teardown (`r` stays unlinked).
  bool link(PersistentRef* r);
  /// The last copy of `r` went: deletes its reference (on the JS thread at once, from another
  /// thread through the batch), or nothing once the environment is gone. Frees `r`. Thread: any.
  static void release(PersistentRef* r) noexcept;
  /// How many flush closures ran (tests: many drops, few closures). Thread: any.
  std::size_t flushes() const noexcept { return flushes_.load(std::memory_order_relaxed); }
  /// References not yet deleted: live Persistents plus pending releases. Thread: any.
  std::size_t live() const;

  /// Teardown (the cleanup hook): deletes every reference still held or pending, and lets go of
  /// the internal Channel; later drops only free their own memory. Thread: JS thread only.
  void close();

 private:
  void unlink_locked(PersistentRef* r) noexcept;
  void flush(napi_env env) noexcept;

  const napi_env env_;
  const std::thread::id js_thread_;
  mutable std::mutex mutex_;
  CoreHandle<> channel_;              // guarded by mutex_; empty after close
  PersistentRef* head_ = nullptr;     // every linked (live) reference
  std::size_t linked_ = 0;
  // Dropped off the JS thread, not deleted yet. The PersistentRef itself is freed by the flush
  // too: on the JS thread that allocated it, not by glibc's slow cross-thread free path.
  std::vector<PersistentRef*> pending_;
  std::vector<PersistentRef*> spare_;  // JS thread only: the flush's buffer, capacity kept
  bool scheduled_ = false;            // a flush closure is queued
  bool closed_ = false;
  std::atomic<std::size_t> flushes_{0};
};

/// One environment's napix state. Shared: handles that outlive the environment (a Deferred on a
/// native thread) keep it, and see `channel()` empty once the environment is gone.
class EnvEntry {
 public:
  /// Makes the trampoline and the internal Channel. Thread: the environment's JS thread.
  EnvEntry(napi_env env, std::uint64_t id);
  EnvEntry(const EnvEntry&) = delete;
  EnvEntry& operator=(const EnvEntry&) = delete;

  napi_env env() const noexcept { return env_; }
  /// Unique for the process's lifetime: a napi_env address may be reused by a later environment.
  std::uint64_t id() const noexcept { return id_; }
  bool on_js_thread() const noexcept { return std::this_thread::get_id() == js_thread_; }

  /// The trampoline every Channel and task of this environment runs its JS-thread work through.
  /// Thread: JS thread only.
  const std::shared_ptr<Trampoline>& trampoline() const noexcept { return trampoline_; }

  /// A handle on napix's internal Channel (unref'ed: it never keeps the loop alive by itself);
  /// empty once the environment is gone. Thread: any.
  CoreHandle<> channel() {
    std::lock_guard<std::mutex> lock(mutex_);
    return channel_;
  }

  /// The function `source` evaluates to, compiled on first use and kept for the environment's
  /// life (napix's JS helpers: some protocols are cheaper in JS than one native call per step).
  /// Null, with the JS exception pending, when it cannot be compiled. Thread: JS thread only.
  napi_value script(Script id, const char* source);

  /// The task pool, made on first use (closed when made after teardown). Thread: JS thread only.
  const std::shared_ptr<TaskPool>& task_pool();

  /// The home of this environment's Persistent references, made on first use (closed when made
  /// after teardown). Thread: JS thread only.
  const std::shared_ptr<PersistentRefs>& persistent_refs();

  /// Holds `listener` until `forget` and tells it at teardown. False (nothing held) once the
  /// environment is closed. Thread: JS thread only.
  bool listen(std::shared_ptr<EnvListener> listener);
  /// Lets go of `listener` (no effect when not held). Thread: JS thread only.
  void forget(const EnvListener* listener) noexcept;

  /// Lists a pending thenable wait, ended by close() if still listed (nothing once closed).
  /// Thread: JS thread only.
  void list_settle(SettleLink* link) noexcept {
    if (closed_) return;
    link->home_ = this;
    link->prev_ = nullptr;
    link->next_ = settles_;
    if (settles_ != nullptr) settles_->prev_ = link;
    settles_ = link;
  }

  /// The environment's cleanup hook: tells the listeners, closes the task pool, deletes the
  /// references Persistents still hold, lets go of the internal Channel and the trampoline's
  /// function.
  /// Thread: JS thread only.
  void close();

 private:
  const napi_env env_;
  const std::thread::id js_thread_;
  const std::uint64_t id_;
  const std::shared_ptr<Trampoline> trampoline_;
  std::shared_ptr<TaskPool> pool_;  // JS thread only
  std::shared_ptr<PersistentRefs> refs_;  // JS thread only
  std::vector<std::shared_ptr<EnvListener>> listeners_;  // JS thread only; few (live readers)
  SettleLink* settles_ = nullptr;  // JS thread only: pending thenable waits
  friend class SettleLink;
  bool closed_ = false;             // JS thread only
  std::array<napi_ref, static_cast<unsigned>(Script::count)> scripts_{};  // JS thread only
  std::mutex mutex_;                // guards channel_ (read from any thread)
  CoreHandle<> channel_;
};

/// The entry for `env`, made (with its cleanup hook) on first use. A one-entry thread-local
/// cache makes the common case — the same environment, on its own JS thread — a compare.
/// Thread: JS thread only.
EnvEntry& env_entry(napi_env env);

/// The environment with process-unique `id` when the calling thread is its JS thread, else null:
/// a compare with the thread-local cache in the common case. Thread: any.
napi_env js_env_of(std::uint64_t id);

/// The live entry of the environment with `id`, or null once it is gone. Thread: any.
std::shared_ptr<EnvEntry> find_env(std::uint64_t id);

// ---------------------------------------------------------------------------------------------
// Definitions

struct EnvRegistry {
  std::mutex mutex;
  std::unordered_map<napi_env, std::shared_ptr<EnvEntry>> entries;
  std::uint64_t next_id = 1;

  // Leaked on purpose: native threads may still run during process exit, after static
  // destructors (doc/design.md, behaviour 5: main-thread process.exit() runs no teardown).
  NAPIX_LOCAL static EnvRegistry& get() {
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

NAPIX_LOCAL inline EnvCache& env_cache() noexcept {
  thread_local EnvCache cache;
  return cache;
}

inline EnvEntry::EnvEntry(napi_env env, std::uint64_t id)
    : env_(env),
      js_thread_(std::this_thread::get_id()),
      id_(id),
      trampoline_(std::make_shared<Trampoline>(env)) {
  // Made now, on the JS thread: a Deferred dropped on another thread needs it to get back here.
  // It fails only when the environment cannot run JS any more; its error is then nobody's.
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  channel_ = CoreHandle<>(Dispatcher<ChannelJob>::create(env, trampoline_, nullptr, nullptr,
                                                       "napix:internal", 0, /*keep_alive=*/false));
  if (!pending) clear_pending_js_error(env);
}

inline const std::shared_ptr<TaskPool>& EnvEntry::task_pool() {
  if (!pool_) {
    pool_ = std::make_shared<TaskPool>(env_, trampoline_, channel());
    if (closed_) pool_->close();  // made after teardown (a finalizer): it starts nothing
  }
  return pool_;
}

inline napi_value EnvEntry::script(Script id, const char* source) {
  napi_ref& ref = scripts_[static_cast<unsigned>(id)];
  napi_value fn = nullptr;
  if (ref != nullptr && napi_get_reference_value(env_, ref, &fn) == napi_ok && fn != nullptr) return fn;
  napi_value text = nullptr;
  if (napi_create_string_utf8(env_, source, NAPI_AUTO_LENGTH, &text) != napi_ok ||
      napi_run_script(env_, text, &fn) != napi_ok) {
    return nullptr;
  }
  if (ref == nullptr) napi_create_reference(env_, fn, 1, &ref);
  return fn;
}

inline const std::shared_ptr<PersistentRefs>& EnvEntry::persistent_refs() {
  if (!refs_) {
    refs_ = std::make_shared<PersistentRefs>(env_, channel());
    if (closed_) refs_->close();  // made after teardown: links nothing
  }
  return refs_;
}

inline bool EnvEntry::listen(std::shared_ptr<EnvListener> listener) {
  if (closed_) return false;
  listeners_.push_back(std::move(listener));
  return true;
}

inline void EnvEntry::forget(const EnvListener* listener) noexcept {
  for (std::size_t i = 0; i < listeners_.size(); ++i) {
    if (listeners_[i].get() == listener) {
      std::swap(listeners_[i], listeners_.back());
      listeners_.pop_back();  // may free the listener: it is not touched after
      return;
    }
  }
}

inline bool PersistentRefs::link(PersistentRef* r) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return false;
  r->next = head_;
  if (head_ != nullptr) head_->prev = r;
  head_ = r;
  ++linked_;
  return true;
}

inline void PersistentRefs::unlink_locked(PersistentRef* r) noexcept {
  if (r->prev != nullptr) r->prev->next = r->next;
  else head_ = r->next;
  if (r->next != nullptr) r->next->prev = r->prev;
  r->prev = r->next = nullptr;
  --linked_;
}

inline std::size_t PersistentRefs::live() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return linked_ + pending_.size();
}

inline void PersistentRefs::release(PersistentRef* r) noexcept {
  std::unique_ptr<PersistentRef> owned(r);
  PersistentRefs& home = *r->home;
  CoreHandle<> channel;
  {
    std::lock_guard<std::mutex> lock(home.mutex_);
    if (home.closed_ || r->ref == nullptr) return;  // teardown deleted it: nothing to touch
    home.unlink_locked(r);
    if (home.on_js_thread()) {
      napi_delete_reference(home.env_, r->ref);
      return;
    }
    home.pending_.push_back(owned.release());  // the flush deletes the reference and frees r
    if (home.scheduled_) return;  // the queued flush will take this one too
    home.scheduled_ = true;
    channel = home.channel_;
  }
  // First drop since the last flush: one closure deletes the whole batch on the JS thread.
  Status s = push_job_to(channel.get(),
                         [self = home.shared_from_this()](const RunContext& cx) { self->flush(cx.env); },
                         false);
  if (s != Status::ok) {
    // Teardown: close() deletes what is pending (or already did). Let the next drop try again.
    std::lock_guard<std::mutex> lock(home.mutex_);
    home.scheduled_ = false;
  }
}

inline void PersistentRefs::flush(napi_env env) noexcept {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.swap(spare_);
    scheduled_ = false;
  }
  for (PersistentRef* r : spare_) {
    napi_delete_reference(env, r->ref);
    delete r;
  }
  spare_.clear();
  flushes_.fetch_add(1, std::memory_order_relaxed);
}

inline void PersistentRefs::close() {
  std::vector<napi_ref> refs;
  std::vector<PersistentRef*> dropped;
  CoreHandle<> last;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    dropped.swap(pending_);
    for (PersistentRef* r : dropped) refs.push_back(r->ref);
    for (PersistentRef* r = head_; r != nullptr; r = r->next) {
      refs.push_back(r->ref);
      r->ref = nullptr;  // its holders may drop it later, on any thread: then nothing is touched
    }
    while (head_ != nullptr) unlink_locked(head_);
    last = std::move(channel_);
  }
  for (napi_ref ref : refs) napi_delete_reference(env_, ref);
  for (PersistentRef* r : dropped) delete r;  // outside the lock: each holds a shared_ptr to us
}

inline void EnvEntry::close() {
  closed_ = true;
  // Moved out first: nothing is held once the environment is closed.
  std::vector<std::shared_ptr<EnvListener>> listeners;
  listeners.swap(listeners_);
  for (const auto& l : listeners) l->env_closing(env_);
  listeners.clear();
  for (napi_ref& ref : scripts_) {
    if (ref != nullptr) napi_delete_reference(env_, ref);
    ref = nullptr;
  }
  if (pool_) pool_->close();
  if (refs_) refs_->close();
  while (settles_ != nullptr) {  // thenable waits whose handlers may never be finalized
    SettleLink* s = settles_;
    s->unlink();
    s->abandon();
  }
  CoreHandle<> last;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last = std::move(channel_);
  }
  last = CoreHandle<>();  // outside the lock: the last handle may give the tsfn back
  trampoline_->free(env_);
}

inline void SettleLink::unlink() noexcept {
  if (home_ == nullptr) return;
  if (prev_ != nullptr) prev_->next_ = next_; else home_->settles_ = next_;
  if (next_ != nullptr) next_->prev_ = prev_;
  home_ = nullptr;
  prev_ = next_ = nullptr;
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
  std::uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.entries.find(env);
    if (it != r.entries.end()) {
      cache = EnvCache{env, it->second.get(), it->second->id()};
      return *cache.entry;
    }
    id = r.next_id++;
  }
  // The hook first: hooks run in reverse order, so every tsfn made after it — the internal
  // Channel's and the user's — is closed by Node before napix's own cleanup runs. Made outside
  // the registry's lock: creating the internal Channel calls into Node-API.
  napi_add_env_cleanup_hook(env, env_cleanup, env);
  auto entry = std::make_shared<EnvEntry>(env, id);
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    r.entries[env] = entry;
  }
  cache = EnvCache{env, entry.get(), id};
  return *entry;
}

inline napi_env js_env_of(std::uint64_t id) {
  const EnvCache& cache = env_cache();
  if (cache.entry != nullptr && cache.id == id) return cache.env;
  EnvRegistry& r = EnvRegistry::get();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::shared_ptr<EnvEntry>* e = r.find_locked(id);
  return e != nullptr && (*e)->on_js_thread() ? (*e)->env() : nullptr;
}

inline std::shared_ptr<EnvEntry> find_env(std::uint64_t id) {
  EnvRegistry& r = EnvRegistry::get();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::shared_ptr<EnvEntry>* e = r.find_locked(id);
  return e != nullptr ? *e : nullptr;
}

}  // namespace detail
}  // namespace napix
