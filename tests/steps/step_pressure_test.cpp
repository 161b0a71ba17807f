// A step's pressure meter: which scope it reads (the run's group, else the machine, else none)
// and the stall from its start to its end, on pressure files the test writes and rewrites as the
// kernel would between the two readings.
#include "steps/step_pressure.h"

#include <catch2/catch.hpp>
#include <string>

#include "tests/support/pressure_files.h"
#include "tests/support/temp_dir.h"

using turnout::steps::StepPressureMeter;
using turnout::util::PressureScope;
using turnout::util::PressureStall;

namespace {

// The three pressure files of `scope` in `dir`, each `some` total `some_us` and `full` half of it.
void write_pressure(const turnout::test::TempDir& dir, PressureScope scope, std::uint64_t some_us) {
  turnout::test::write_pressure_files(dir.path(), scope,
                                      {some_us, some_us, some_us / 2, some_us, some_us / 2});
}

}  // namespace

TEST_CASE("step pressure: with a run's group, its files, the stall is the growth from start to end",
          "[unit][steps][pressure]") {
  turnout::test::TempDir group;
  turnout::test::TempDir machine;
  write_pressure(group, PressureScope::cgroup, 1000);
  write_pressure(machine, PressureScope::machine, 90000);
  const StepPressureMeter meter(group.path().string(), machine.path().string());
  write_pressure(group, PressureScope::cgroup, 4000);
  write_pressure(machine, PressureScope::machine, 99000);
  const auto pressure = meter.finish();
  REQUIRE(pressure.has_value());
  CHECK(pressure->source == PressureScope::cgroup);
  CHECK(pressure->stall == PressureStall{3000, 3000, 1500, 3000, 1500});
}

TEST_CASE("step pressure: without a group, or a group without pressure files, the machine's",
          "[unit][steps][pressure]") {
  turnout::test::TempDir machine;
  turnout::test::TempDir bare_group;  // a group whose kernel keeps no pressure for it
  write_pressure(machine, PressureScope::machine, 500);
  const StepPressureMeter no_group("", machine.path().string());
  const StepPressureMeter bare(bare_group.path().string(), machine.path().string());
  write_pressure(machine, PressureScope::machine, 800);
  for (const auto& meter : {no_group, bare}) {
    const auto pressure = meter.finish();
    REQUIRE(pressure.has_value());
    CHECK(pressure->source == PressureScope::machine);
    CHECK(pressure->stall == PressureStall{300, 300, 150, 300, 150});
  }
}

TEST_CASE("step pressure: no figures without PSI, nor from a reading that fails or goes back",
          "[unit][steps][pressure]") {
  turnout::test::TempDir empty;
  CHECK_FALSE(StepPressureMeter("", (empty / "no-pressure").string()).finish().has_value());

  turnout::test::TempDir machine;
  write_pressure(machine, PressureScope::machine, 500);
  const StepPressureMeter gone("", machine.path().string());
  const StepPressureMeter backwards("", machine.path().string());
  std::filesystem::remove(machine / "io");
  CHECK_FALSE(gone.finish().has_value());
  write_pressure(machine, PressureScope::machine, 400);
  CHECK_FALSE(backwards.finish().has_value());
}
