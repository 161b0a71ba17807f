#include "util/process_stats.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

using turnout::util::read_process_stats;
using turnout::util::read_session_stats;

TEST_CASE("read_process_stats reads this process's CPU time and resident memory", "[unit][util]") {
  const auto before = read_process_stats();
  REQUIRE(before.has_value());
  CHECK(before->resident_bytes > 1024 * 1024);
  // Touch 64 MiB and spin a little: both figures can only grow.
  std::vector<char> touched(64 * 1024 * 1024, 1);
  volatile unsigned long sum = 0;
  for (const char c : touched) sum = sum + static_cast<unsigned long>(c);
  const auto after = read_process_stats(::getpid());
  REQUIRE(after.has_value());
  CHECK(after->resident_bytes >= before->resident_bytes + 32 * 1024 * 1024);
  CHECK(after->cpu_seconds > before->cpu_seconds);
  CHECK_FALSE(read_process_stats(999999999).has_value());
}

TEST_CASE("read_session_stats sums the live processes of one session", "[unit][util]") {
  // A child in a session of its own, which starts a grandchild there and touches 32 MiB.
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::setsid();
    if (::fork() == 0) {
      ::pause();
      ::_exit(0);
    }
    // Only system calls after a fork in a process that may have threads: no malloc.
    const std::size_t size = 32 * 1024 * 1024;
    void* touched = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (touched == MAP_FAILED) ::_exit(1);
    std::memset(touched, 1, size);
    [[maybe_unused]] const auto written = ::write(ready[1], touched, 1);
    ::pause();
    ::_exit(0);
  }
  char byte = 0;
  REQUIRE(::read(ready[0], &byte, 1) == 1);
  const auto session = read_session_stats(child);
  const auto leader = read_process_stats(child);
  ::kill(-child, SIGKILL);  // the session's process group: the leader and the grandchild
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  REQUIRE(session.has_value());
  REQUIRE(leader.has_value());
  CHECK(leader->resident_bytes >= 32 * 1024 * 1024);
  CHECK(session->resident_bytes > leader->resident_bytes);  // the grandchild counts too
  // None of it is left once the kill has reached the orphaned grandchild too.
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = !read_session_stats(child).has_value();
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(gone);
  CHECK_FALSE(read_session_stats(0).has_value());
}
