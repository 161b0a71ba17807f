#pragma once
// The kernel's pressure stall information (PSI, Documentation/accounting/psi.rst): how long tasks
// waited for a resource. The machine's are /proc/pressure/{cpu,memory,io}, a cgroup v2 group's
// its cpu.pressure, memory.pressure and io.pressure, all in one format:
//
//   some avg10=0.00 avg60=1.20 avg300=3.53 total=5574082004
//   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
//
// `some`: at least one task waited; `full`: every non-idle task did at once. `total` is the
// stalled time in microseconds since boot (or since the group was made), and only grows. The
// parser is strict: a file of another shape is an error, not figures made up from half of it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace turnout::util {

/// One line of a pressure file.
struct PressureLine {
  double avg10 = 0;            ///< percent of the last 10 s stalled
  double avg60 = 0;            ///< percent of the last 60 s stalled
  double avg300 = 0;           ///< percent of the last 300 s stalled
  std::uint64_t total_us = 0;  ///< microseconds stalled in all
};

/// A whole pressure file.
struct Pressure {
  PressureLine some;                 ///< at least one task waited
  std::optional<PressureLine> full;  ///< every non-idle task waited; cpu's is absent before Linux 5.13
};

/// Parses the text of a pressure file: a `some` line, then optionally a `full` line, each with
/// `avg10=`, `avg60=`, `avg300=` (digits, a point, digits) and `total=` (digits) in that order,
/// separated by one space and ended by a newline; nothing else. Fails naming the line and what
/// is wrong with it.
Result<Pressure> parse_pressure(std::string_view text);

/// Reads and parses the pressure file at `path`. Fails with the path and the reason (kind
/// not_found when there is no such file: a kernel without PSI).
Result<Pressure> read_pressure(const std::string& path);

}  // namespace turnout::util
