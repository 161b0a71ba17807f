#pragma once
// A step's share of the machine (issue "builds that never hurt production"): its CPU and I/O
// priority and how much memory each of its processes may allocate, set in the child between
// fork and exec, so that everything the step starts inherits them, with no moment in which it
// runs unlimited.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "pipeline/resources.h"
#include "util/duration.h"

namespace turnout::steps {

/// What a process, and every process it starts, may take.
struct ProcessLimits {
  pipeline::CpuClass cpu = pipeline::CpuClass::normal;  ///< its CPU scheduling class
  int nice = 0;                                         ///< 0..19, added to turnout's own
  /// 0..19: the nice of the scheduling group (autogroup) of the process's own session, which
  /// weighs it against other sessions: the slots', nginx's, the agent's. 0: the kernel's default.
  int session_nice = 0;
  pipeline::IoClass io = pipeline::IoClass::normal;  ///< its I/O scheduling class
  std::optional<std::uint64_t> data_bytes;           ///< RLIMIT_DATA of each process; none: no limit
  int cgroup_procs = -1;  ///< cgroup.procs of the group the process joins before exec; -1: turnout's
};

/// What a process and the descendants it waited for used, as the kernel accounts it.
struct ResourceUse {
  std::uint64_t peak_memory_bytes = 0;  ///< the largest resident set of any of them
  util::Duration cpu{};                 ///< user and system CPU time, all of them together
};

/// The limits `resources` (already merged over turnout's defaults) asks for that this machine
/// can enforce without cgroups: cpu_class, nice, io and memory. pids and cpu need a cgroup.
ProcessLimits limits_of(const pipeline::Resources& resources);

/// What this machine's scheduler offers a step's isolation.
struct SchedulerTraits {
  /// Sessions are weighed as groups (autogroups: built in and
  /// /proc/sys/kernel/sched_autogroup_enabled is 1), so a step's session nice counts.
  bool autogroups = false;
  /// The kernel keeps a custom time slice (Linux 6.12 and later): the idle class is SCHED_BATCH
  /// with the longest slice there, SCHED_IDLE elsewhere.
  bool custom_slices = false;
};

/// Probes this kernel: its sysctl, and a custom slice set on a short-lived thread of its own.
SchedulerTraits scheduler_traits();

/// One line for the run log: what of `resources` is in force here and what is not. `group` is
/// the run's cgroup v2 group ("" when it has none, then `why_not` says why, and pids and cpu are
/// not enforced); `scheduler` says how the idle class is made and whether a step's session
/// nice counts (outside a group).
std::string describe_isolation(const pipeline::Resources& resources, const std::string& group,
                               const std::string& why_not, const SchedulerTraits& scheduler);

/// How a child is to be started by spawn_limited: the command, its environment and its pipes.
struct LimitedSpawn {
  const char* path;             ///< the program, already looked up
  char* const* argv;            ///< null-terminated
  char* const* envp;            ///< null-terminated: the child's whole environment
  const char* cwd;              ///< "" or null: ours
  int out;                      ///< becomes its stdout
  int err;                      ///< becomes its stderr
  const ProcessLimits& limits;  ///< applied before exec
};

/// Starts `spawn` as posix_spawn does for other processes (stdin from /dev/null, default signal
/// handling and an empty signal mask), in a new session (so a new process group, and its own
/// scheduling group where the kernel has autogroups), with its limits applied in the child
/// before exec. Returns once the child has exec'd: the pid, or an errno value as a negative
/// number (the exec's too).
pid_t spawn_limited(const LimitedSpawn& spawn);

}  // namespace turnout::steps
