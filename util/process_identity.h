#pragma once
// Which process a pid names right now: a pid alone can be recycled, a pid plus the kernel's start
// time cannot. Used before trusting (or signalling) a pid that was written down earlier.

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace turnout::util {

/// A process as the kernel knows it: its pid and its start time (field 22 `starttime` of
/// /proc/PID/stat, clock ticks since boot). Two live processes never share both.
struct ProcessIdentity {
  pid_t pid = 0;                 ///< the process id
  std::uint64_t start_time = 0;  ///< when it started, in clock ticks after boot

  /// Same pid and same start time.
  friend bool operator==(const ProcessIdentity&, const ProcessIdentity&) = default;
};

/// The identity of the process `pid` now; nullopt when there is no such process, it has already
/// exited (a zombie waiting to be reaped), or /proc cannot be read.
std::optional<ProcessIdentity> identify(pid_t pid);

/// The identity of the calling process.
ProcessIdentity self_identity();

/// True when the process `identity` names still runs: its pid exists, is not a zombie, and
/// started at the same time (so a recycled pid never counts).
bool is_alive(const ProcessIdentity& identity);

}  // namespace turnout::util
