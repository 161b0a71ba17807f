#pragma once

#include <sys/types.h>

namespace turnout::test {

/// A real `sleep 60` child of the test process; killed and reaped when this goes out of scope,
/// whatever happens in between.
class SleepingChild {
 public:
  /// Whose process group the child is in.
  enum class Group { ours, own };
  /// Starts it, in our process group or leading its own (as a step does); throws
  /// std::runtime_error when it cannot.
  explicit SleepingChild(Group group = Group::ours);
  /// kill_and_reap().
  ~SleepingChild();
  SleepingChild(const SleepingChild&) = delete;
  SleepingChild& operator=(const SleepingChild&) = delete;

  /// Its pid; -1 once reaped.
  pid_t pid() const { return pid_; }
  /// SIGKILL, then wait until it has exited but leave it unreaped: a zombie.
  void kill_to_zombie();
  /// SIGKILL and reap. Idempotent.
  void kill_and_reap();
  /// Waits for it to end (someone else killed it) and reaps it; returns the waitpid status.
  int reap();

 private:
  pid_t pid_ = -1;
};

}  // namespace turnout::test
