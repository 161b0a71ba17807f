#pragma once

#include <atomic>

namespace turnout::steps {

/// A one-way "stop now" flag that a poll(2) loop can wait on (it owns an eventfd).
/// cancel() may be called from any thread; it is not async-signal-safe (call it from a
/// signal-waiting thread, not from a handler).
class CancelToken {
 public:
  /// Creates the flag, not cancelled. Throws std::system_error when no eventfd can be made.
  CancelToken();
  ~CancelToken();
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  /// Sets the flag and wakes every poll() on fd(). Idempotent.
  void cancel();
  /// True once cancel() was called.
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  /// Readable (POLLIN) once cancelled; never read it, only poll it.
  int fd() const { return fd_; }

 private:
  std::atomic<bool> cancelled_{false};
  int fd_ = -1;
};

}  // namespace turnout::steps
