// napix/detail/cancel_state.h — the state behind napix::CancelToken (no Node-API in here): a flag
// any thread may set once, and callbacks run exactly once on the thread that sets it, with
// std::stop_callback's rules for unregistering (wait for a callback running on another thread,
// never for one running on this thread).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "unique_function.h"

namespace napix {
namespace detail {

class CancelState;

/// One registered callback. Owned by its registration (or, while it runs, by the cancelling
/// thread when the registration was destroyed from inside it).
struct CancelNode {
  UniqueFunction<void()> fn;
  CancelNode* prev = nullptr;  // guarded by the state's mutex
  CancelNode* next = nullptr;
  bool linked = false;
  bool done = false;            // ran (or is done running)
  bool orphaned = false;        // its registration went while it ran on the cancelling thread
};

class CancelState {
 public:
  /// Thread: any.
  bool cancelled() const noexcept { return cancelled_.load(std::memory_order_acquire); }

  /// Sets the flag and runs every registered callback on this thread, each exactly once, in
  /// registration order. Only the first call does anything. Thread: any.
  void cancel() noexcept;

  /// Registers `node` to run on cancel: false (nothing registered) when already cancelled — the
  /// caller then runs it itself. Thread: any.
  bool add(CancelNode* node);

  /// Unregisters `node`; if it is running on another thread, waits until it returned; if it is
  /// running on this thread (destroyed from inside its own callback), returns at once and the
  /// cancelling thread frees it. True when the caller may free `node` now. Thread: any.
  bool remove(CancelNode* node) noexcept;

 private:
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  std::condition_variable done_;
  CancelNode* head_ = nullptr;  // registration order: head_ first
  CancelNode* tail_ = nullptr;
  CancelNode* running_ = nullptr;
  std::thread::id canceller_;
};

// ---------------------------------------------------------------------------------------------
// Definitions

inline bool CancelState::add(CancelNode* node) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (cancelled_.load(std::memory_order_relaxed)) return false;
  node->prev = tail_;
  node->next = nullptr;
  if (tail_ != nullptr) tail_->next = node;
  else head_ = node;
  tail_ = node;
  node->linked = true;
  return true;
}

inline void CancelState::cancel() noexcept {
  std::unique_lock<std::mutex> lock(mutex_);
  if (cancelled_.load(std::memory_order_relaxed)) return;
  canceller_ = std::this_thread::get_id();
  cancelled_.store(true, std::memory_order_release);
  while (head_ != nullptr) {
    CancelNode* node = head_;
    head_ = node->next;
    if (head_ != nullptr) head_->prev = nullptr;
    else tail_ = nullptr;
    node->linked = false;
    node->prev = node->next = nullptr;
    running_ = node;
    lock.unlock();
    node->fn();  // noexcept context: a throwing callback terminates, as std::stop_callback's
    lock.lock();
    running_ = nullptr;
    node->done = true;
    if (node->orphaned) {
      lock.unlock();
      delete node;
      lock.lock();
    }
    done_.notify_all();
  }
}

inline bool CancelState::remove(CancelNode* node) noexcept {
  std::unique_lock<std::mutex> lock(mutex_);
  if (node->linked) {
    if (node->prev != nullptr) node->prev->next = node->next;
    else head_ = node->next;
    if (node->next != nullptr) node->next->prev = node->prev;
    else tail_ = node->prev;
    node->linked = false;
    return true;
  }
  if (running_ == node) {
    if (canceller_ == std::this_thread::get_id()) {
      node->orphaned = true;  // from inside its own callback: cancel() frees it afterwards
      return false;
    }
    done_.wait(lock, [&] { return node->done; });
  }
  return true;
}

}  // namespace detail
}  // namespace napix
