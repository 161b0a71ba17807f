#pragma once
// What the kernel says a running process has used so far (/proc/PID/stat): for /metrics.

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace turnout::util {

/// CPU time and resident memory of one process.
struct ProcessStats {
  double cpu_seconds = 0;            ///< user and system time since it started
  std::uint64_t resident_bytes = 0;  ///< its resident set now
};

/// The stats of process `pid` (0: this one); nullopt when it is gone or /proc cannot be read.
std::optional<ProcessStats> read_process_stats(pid_t pid = 0);

}  // namespace turnout::util
