#include "util/idle_thread.h"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/batch_slice.h"
#include "util/io_priority.h"

namespace turnout::util {

bool lower_this_thread() {
  // As a step's idle class (steps/process_limits): since EEVDF a SCHED_IDLE thread yields at
  // once only within its own group (the agent's session), so where the kernel keeps a custom
  // slice the thread is SCHED_BATCH at nice 19 with the longest slice, which any woken process
  // with the default slice preempts, a slot's included. PRIO_PROCESS with a thread id: only it.
  const bool niced = ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19) == 0;
  const sched_param no_priority{};
  const bool cpu =
      (niced && set_batch_longest_slice()) || ::sched_setscheduler(0, SCHED_IDLE, &no_priority) == 0;
  const bool io = set_io_priority(kIoPriorityLowestBestEffort);
  return cpu && io;
}

}  // namespace turnout::util
