#include "agent/commands/signal_watcher.h"

#include <pthread.h>
#include <signal.h>

#include <utility>

namespace turnout::agent {

namespace {

// SIGUSR2 is sent to ourselves only to wake sigwait when the watcher is destroyed.
sigset_t watched_signals(bool hangup) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR2);
  if (hangup) sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

SignalWatcher::SignalWatcher(steps::CancelToken& token, std::function<void()> on_hangup)
    : token_(token), on_hangup_(std::move(on_hangup)) {
  const sigset_t set = watched_signals(static_cast<bool>(on_hangup_));
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, set] {
    for (;;) {
      int signal = 0;
      if (sigwait(&set, &signal) != 0 || signal == SIGUSR2) return;
      if (signal == SIGHUP) {
        on_hangup_();
        continue;
      }
      int expected = 0;
      received_.compare_exchange_strong(expected, signal);
      token_.cancel();
    }
  });
}

SignalWatcher::~SignalWatcher() {
  pthread_kill(thread_.native_handle(), SIGUSR2);
  thread_.join();
  // SIGUSR2 stays blocked: a stray one after this point must not end the process.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (on_hangup_) sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace turnout::agent
