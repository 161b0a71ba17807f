#include "tests/support/sleeping_child.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <stdexcept>

extern char** environ;

namespace turnout::test {

SleepingChild::SleepingChild(Group group) {
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (group == Group::own) {
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  char arg0[] = "sleep";
  char arg1[] = "60";
  char* argv[] = {arg0, arg1, nullptr};
  const int error = ::posix_spawnp(&pid_, "sleep", nullptr, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  if (error != 0) throw std::runtime_error("cannot start sleep");
}

SleepingChild::~SleepingChild() { kill_and_reap(); }

void SleepingChild::kill_to_zombie() {
  ::kill(pid_, SIGKILL);
  siginfo_t info{};
  ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT);
}

int SleepingChild::reap() {
  int status = 0;
  if (pid_ > 0 && ::waitpid(pid_, &status, 0) == pid_) pid_ = -1;
  return status;
}

void SleepingChild::kill_and_reap() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace turnout::test
