#include "tests/support/pressure_files.h"

#include <fstream>
#include <string>

namespace turnout::test {

namespace {

std::string pressure_line(const char* kind, std::uint64_t total) {
  return std::string(kind) + " avg10=1.25 avg60=0.50 avg300=0.10 total=" + std::to_string(total) + "\n";
}

}  // namespace

void write_pressure_files(const std::filesystem::path& dir, util::PressureScope scope,
                          const util::PressureStall& totals) {
  std::filesystem::create_directories(dir);
  const std::string suffix = scope == util::PressureScope::cgroup ? ".pressure" : "";
  std::ofstream(dir / ("cpu" + suffix))
      << pressure_line("some", totals.cpu_some_us) + pressure_line("full", 0);
  std::ofstream(dir / ("memory" + suffix))
      << pressure_line("some", totals.memory_some_us) + pressure_line("full", totals.memory_full_us);
  std::ofstream(dir / ("io" + suffix))
      << pressure_line("some", totals.io_some_us) + pressure_line("full", totals.io_full_us);
}

}  // namespace turnout::test
