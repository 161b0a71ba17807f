#include "util/idle_thread.h"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

#include "util/batch_slice.h"

namespace {

// The calling thread's I/O priority as ioprio_get returns it: the class in the high bits, the level below.
long io_priority() { return ::syscall(SYS_ioprio_get, 1, 0); }

}  // namespace

TEST_CASE("work on an idle thread runs in the idle CPU class and the lowest best-effort I/O level",
          "[unit][util]") {
  const int caller_policy = ::sched_getscheduler(0);
  const long caller_io = io_priority();
  REQUIRE(caller_policy == SCHED_OTHER);  // a test run lowered itself could not tell the difference

  struct Seen {
    int policy;
    int nice;
    std::uint64_t slice;
    long io;
    std::thread::id thread;
  };
  const auto seen = turnout::util::on_idle_thread([] {
    turnout::util::SchedAttr attr;  // on failure its zeros fail the checks below
    ::syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0);
    return Seen{::sched_getscheduler(0), attr.nice, attr.runtime, io_priority(), std::this_thread::get_id()};
  });
  // Where the kernel keeps a custom slice: SCHED_BATCH at nice 19 with the longest; else SCHED_IDLE.
  if (turnout::util::custom_slices_kept()) {
    CHECK(seen.policy == SCHED_BATCH);
    CHECK(seen.nice == 19);
    CHECK(seen.slice == turnout::util::kLongestSlice);
  } else {
    CHECK(seen.policy == SCHED_IDLE);
  }
  CHECK(seen.io == ((2 << 13) | 7));  // best-effort, level 7: as ioprio_get(2) encodes it
  CHECK(seen.thread != std::this_thread::get_id());

  // The caller, and so what it starts later (a deploy's slots), keeps its own.
  CHECK(::sched_getscheduler(0) == caller_policy);
  CHECK(io_priority() == caller_io);
}

TEST_CASE("work on an idle thread gives back what it threw, and may return nothing", "[unit][util]") {
  CHECK_THROWS_WITH(turnout::util::on_idle_thread([]() -> int { throw std::runtime_error("no mirror"); }),
                    "no mirror");
  std::string written;
  turnout::util::on_idle_thread([&] { written = "done"; });
  CHECK(written == "done");
}
