#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include "steps/cancel_token.h"

namespace turnout::agent {

/// Turns SIGINT and SIGTERM into a cancel: blocks both in every thread (create it before any
/// other thread), and a thread of its own waits for them with sigwait and cancels `token`.
/// The running step's whole process group is then ended by the runner (invariant 4).
/// Given `on_hangup`, SIGHUP is watched too and calls it (on the watcher's thread); without
/// one, SIGHUP keeps its default (a foreground run ends with its terminal).
class SignalWatcher {
 public:
  /// Starts watching; `token` must outlive this.
  explicit SignalWatcher(steps::CancelToken& token, std::function<void()> on_hangup = {});
  /// Stops the watching thread and restores the signal mask.
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  /// The signal that cancelled, or 0.
  int received() const { return received_.load(); }

 private:
  steps::CancelToken& token_;
  std::function<void()> on_hangup_;
  std::atomic<int> received_{0};
  std::thread thread_;
};

}  // namespace turnout::agent
