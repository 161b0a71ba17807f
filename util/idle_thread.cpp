#include "util/idle_thread.h"

#include <sched.h>

#include "util/io_priority.h"

namespace turnout::util {

bool lower_this_thread() {
  const sched_param no_priority{};
  const bool cpu = ::sched_setscheduler(0, SCHED_IDLE, &no_priority) == 0;
  const bool io = set_io_priority(kIoPriorityLowestBestEffort);
  return cpu && io;
}

}  // namespace turnout::util
