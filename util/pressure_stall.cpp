#include "util/pressure_stall.h"

#include "util/pressure.h"

namespace turnout::util {

namespace {

Result<Pressure> read_resource(PressureScope scope, const std::string& dir, const std::string& resource) {
  return read_pressure(dir + "/" + resource + (scope == PressureScope::cgroup ? ".pressure" : ""));
}

}  // namespace

const char* to_string(PressureScope scope) { return scope == PressureScope::cgroup ? "cgroup" : "machine"; }

std::optional<PressureScope> parse_pressure_scope(std::string_view text) {
  if (text == "machine") return PressureScope::machine;
  if (text == "cgroup") return PressureScope::cgroup;
  return std::nullopt;
}

Result<PressureStall> read_pressure_totals(PressureScope scope, const std::string& dir) {
  const auto cpu = read_resource(scope, dir, "cpu");
  if (!cpu) return cpu.error();
  const auto memory = read_resource(scope, dir, "memory");
  if (!memory) return memory.error();
  const auto io = read_resource(scope, dir, "io");
  if (!io) return io.error();
  if (!memory.value().full || !io.value().full)
    return fail("the memory and io pressure files in " + dir + " must have a 'full' line",
                ErrorKind::invalid);
  return PressureStall{cpu.value().some.total_us, memory.value().some.total_us, memory.value().full->total_us,
                       io.value().some.total_us, io.value().full->total_us};
}

std::optional<PressureStall> stall_between(const PressureStall& before, const PressureStall& after) {
  const auto fields = {&PressureStall::cpu_some_us, &PressureStall::memory_some_us,
                       &PressureStall::memory_full_us, &PressureStall::io_some_us,
                       &PressureStall::io_full_us};
  PressureStall stall;
  for (const auto field : fields) {
    if (after.*field < before.*field) return std::nullopt;
    stall.*field = after.*field - before.*field;
  }
  return stall;
}

}  // namespace turnout::util
