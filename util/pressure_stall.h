#pragma once
// What a span of time cost in stalls, by the kernel's pressure files (util/pressure): the
// microseconds tasks waited for CPU, memory and I/O between two readings of one scope, the
// whole machine's (/proc/pressure) or one cgroup v2 group's (its *.pressure files). Every path
// is a parameter, so a test can point a reading at files it wrote.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace turnout::util {

/// Whose pressure files are read.
enum class PressureScope {
  machine,  ///< /proc/pressure: every task of the machine; a stall there need not be ours
  cgroup,   ///< a group's cpu.pressure, memory.pressure, io.pressure: only the group's tasks
};

/// "machine" or "cgroup", as stored and shown.
const char* to_string(PressureScope scope);
/// The scope named `text`; nullopt for anything else.
std::optional<PressureScope> parse_pressure_scope(std::string_view text);

/// Microseconds stalled: since the scope began in one reading, over a span in `stall_between`.
/// cpu's `full` is left out: the machine's is always 0, and a group's is absent before Linux 5.13.
struct PressureStall {
  std::uint64_t cpu_some_us = 0;     ///< some task waited for a CPU
  std::uint64_t memory_some_us = 0;  ///< some task waited for memory (reclaim, swap-in, thrashing)
  std::uint64_t memory_full_us = 0;  ///< every non-idle task did at once
  std::uint64_t io_some_us = 0;      ///< some task waited for I/O
  std::uint64_t io_full_us = 0;      ///< every non-idle task did at once
  /// Field by field.
  bool operator==(const PressureStall&) const = default;
};

/// The totals of the cpu, memory and io pressure files of `scope` in `dir`: `cpu`, `memory` and
/// `io` for the machine (dir is /proc/pressure), `cpu.pressure`, `memory.pressure` and
/// `io.pressure` for a group (dir is the group's). Fails with the first file that cannot be
/// read, does not parse, or (memory, io) has no `full` line.
Result<PressureStall> read_pressure_totals(PressureScope scope, const std::string& dir);

/// What was stalled from `before` to `after`, two readings of one scope. nullopt when a total
/// went down: totals only grow, so they were not the same counters (a group made anew).
std::optional<PressureStall> stall_between(const PressureStall& before, const PressureStall& after);

}  // namespace turnout::util
