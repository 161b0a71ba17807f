#include "util/process_identity.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <stdexcept>
#include "tests/support/sleeping_child.h"
#include "util/process_tree.h"

using namespace turnout::util;

extern char** environ;

namespace {}  // namespace

TEST_CASE("this process is alive and identifies as itself", "[unit][util]") {
  const auto self = self_identity();
  CHECK(self.pid == ::getpid());
  CHECK(self.start_time > 0);
  CHECK(is_alive(self));
  const auto again = identify(::getpid());
  REQUIRE(again);
  CHECK(*again == self);
}

TEST_CASE("a running child is alive, killed and reaped it is not", "[unit][util]") {
  turnout::test::SleepingChild child;
  const auto identity = identify(child.pid());
  REQUIRE(identity);
  CHECK(identity->pid == child.pid());
  // A child starts after its parent.
  CHECK(identity->start_time >= self_identity().start_time);
  CHECK(is_alive(*identity));

  child.kill_and_reap();
  CHECK_FALSE(is_alive(*identity));
}

TEST_CASE("a zombie is not alive", "[unit][util]") {
  turnout::test::SleepingChild child;
  const auto identity = identify(child.pid());
  REQUIRE(identity);
  child.kill_to_zombie();
  // /proc/PID still exists until the child is reaped, but its state is Z.
  CHECK(::kill(child.pid(), 0) == 0);
  CHECK_FALSE(identify(child.pid()));
  CHECK_FALSE(is_alive(*identity));
}

TEST_CASE("the same pid with another start time is not alive (a recycled pid)", "[unit][util]") {
  auto other = self_identity();
  other.start_time += 1;
  CHECK_FALSE(is_alive(other));
  other.start_time -= 2;
  CHECK_FALSE(is_alive(other));
}

TEST_CASE("no process has pid 0 or a negative pid", "[unit][util]") {
  CHECK_FALSE(identify(0));
  CHECK_FALSE(identify(-1));
  CHECK_FALSE(is_alive(ProcessIdentity{0, 0}));
}

TEST_CASE("the clock ticks since boot never lag behind a process that started before they were read",
          "[unit][util]") {
  // nginx's flag switch tells old workers from new ones by this: a process forked before the
  // clock was read must not look younger than it (a rounding of /proc/uptime once made it so).
  for (int i = 0; i < 300; ++i) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::pause();
      ::_exit(0);
    }
    const auto identity = identify(child);
    const auto now = turnout::util::ticks_since_boot();
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(identity);
    REQUIRE(now >= identity->start_time);
  }
}
