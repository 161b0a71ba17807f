#pragma once
// Pressure (PSI) files as the kernel writes them, in a folder a test owns: the machine's layout
// (/proc/pressure: cpu, memory, io) or a cgroup v2 group's (cpu.pressure, ...). Rewriting them
// between two readings plays the kernel's stall counters growing.

#include <filesystem>

#include "util/pressure_stall.h"

namespace turnout::test {

/// Writes the cpu, memory and io pressure files of `scope` into `dir` (created when missing),
/// each `total=` from `totals`; cpu's `full` line is all zero, as the machine's always is.
void write_pressure_files(const std::filesystem::path& dir, util::PressureScope scope,
                          const util::PressureStall& totals);

}  // namespace turnout::test
