#include "tests/support/sleeping_child.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <stdexcept>

extern char** environ;

namespace turnout::test {

SleepingChild::SleepingChild() {
  char arg0[] = "sleep";
  char arg1[] = "60";
  char* argv[] = {arg0, arg1, nullptr};
  if (::posix_spawnp(&pid_, "sleep", nullptr, nullptr, argv, environ) != 0) {
    throw std::runtime_error("cannot start sleep");
  }
}

SleepingChild::~SleepingChild() { kill_and_reap(); }

void SleepingChild::kill_to_zombie() {
  ::kill(pid_, SIGKILL);
  siginfo_t info{};
  ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT);
}

void SleepingChild::kill_and_reap() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace turnout::test
