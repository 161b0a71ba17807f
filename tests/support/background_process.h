#pragma once
// A server a test starts (nginx, fcgiwrap, ...) and must never leave behind.

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace turnout::test {

/// A long-running child process in its own process group, its stdout and stderr appended to a
/// log file. Destroying it stops it (TERM, then KILL of the whole group after a grace period),
/// so nothing it started outlives the test.
class BackgroundProcess {
 public:
  /// Starts `argv` (argv[0] looked up in PATH if it has no '/') with our environment plus `env`
  /// and stdin from /dev/null. Throws std::runtime_error when it cannot be started.
  BackgroundProcess(const std::vector<std::string>& argv, const std::filesystem::path& log_file,
                    const std::map<std::string, std::string>& env = {});
  /// stop().
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  /// The child's pid, which is also its process group id.
  pid_t pid() const { return pid_; }
  /// True until the child has exited (it is reaped here when it has).
  bool running();
  /// Sends `signal` to the child, waits up to `grace` for it to exit, then KILLs whatever is
  /// left of its process group and reaps it. Does nothing once it has ended.
  void stop(int signal = SIGTERM, std::chrono::milliseconds grace = std::chrono::seconds(5));
  /// Sends `number` to the child alone (e.g. SIGHUP); false when it has already ended.
  bool send_signal(int number);
  /// Everything the child wrote so far.
  std::string output() const;

 private:
  pid_t pid_ = -1;
  bool ended_ = false;
  std::filesystem::path log_file_;
};

/// A loopback TCP port nobody listens on right now (bound to 127.0.0.1:0 and released). Another
/// process may take it before the caller does: callers that bind it must be ready to retry.
int free_loopback_port();

/// True when a TCP connection to 127.0.0.1:`port` is accepted.
bool port_accepts(int port);

}  // namespace turnout::test
