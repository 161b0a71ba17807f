#pragma once
// What the kernel says running processes have used so far (/proc/PID/stat): for /metrics, the
// agent's own figures and each slot's (summed over the slot's session).

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace turnout::util {

/// CPU time and resident memory of one process, or of several summed.
struct ProcessStats {
  double cpu_seconds = 0;            ///< user and system time since it started
  double waited_cpu_seconds = 0;     ///< of its children that ended and that it waited for
  std::uint64_t resident_bytes = 0;  ///< its resident set now
};

/// The stats of process `pid` (0: this one); nullopt when it is gone or /proc cannot be read.
std::optional<ProcessStats> read_process_stats(pid_t pid = 0);

/// The stats of every live process of session `session` summed: a server started with setsid
/// and what it started that stayed in its session (workers, a shell's children). Their waited
/// children's CPU counts too, so the sum only falls when a member ends unwaited (reaped by init).
/// nullopt when no process of the session is left.
std::optional<ProcessStats> read_session_stats(pid_t session);

}  // namespace turnout::util
