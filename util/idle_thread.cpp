#include "util/idle_thread.h"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace turnout::util {

namespace {

// linux/ioprio.h, which older kernel headers lack. "Process" 0 is the calling thread: the
// kernel keeps I/O priorities, like scheduling policies, per thread.
constexpr int kIoprioWhoProcess = 1;
constexpr int kLowestBestEffort = (2 << 13) | 7;

}  // namespace

bool lower_this_thread() {
  const sched_param no_priority{};
  const bool cpu = ::sched_setscheduler(0, SCHED_IDLE, &no_priority) == 0;
  const bool io = ::syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, kLowestBestEffort) == 0;
  return cpu && io;
}

}  // namespace turnout::util
