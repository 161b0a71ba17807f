#include "agent/commands/signal_watcher.h"

#include <pthread.h>
#include <signal.h>

namespace turnout::agent {

namespace {

// SIGUSR2 is sent to ourselves only to wake sigwait when the watcher is destroyed.
sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR2);
  return set;
}

}  // namespace

SignalWatcher::SignalWatcher(steps::CancelToken& token) : token_(token) {
  const sigset_t set = watched_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, set] {
    for (;;) {
      int signal = 0;
      if (sigwait(&set, &signal) != 0 || signal == SIGUSR2) return;
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
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace turnout::agent
