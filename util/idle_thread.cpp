#include "util/idle_thread.h"

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
  const bool cpu = set_idle_class();  // after the nice, which SCHED_BATCH keeps
  const bool io = set_io_priority(kIoPriorityLowestBestEffort);
  return niced && cpu && io;
}

}  // namespace turnout::util
