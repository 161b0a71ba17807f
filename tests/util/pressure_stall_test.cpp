// Stalls over a span from two readings of a scope's pressure files: the files are written by the
// test (a machine's layout and a group's), and this machine's /proc/pressure is read where present.
#include "util/pressure_stall.h"

#include <catch2/catch.hpp>
#include <string>

#include "tests/support/pressure_files.h"
#include "tests/support/temp_dir.h"

using turnout::test::write_pressure_files;
using turnout::util::PressureScope;
using turnout::util::PressureStall;
using turnout::util::read_pressure_totals;
using turnout::util::stall_between;

namespace {

std::string pressure_file(std::uint64_t some, std::optional<std::uint64_t> full) {
  std::string text = "some avg10=1.00 avg60=2.00 avg300=3.00 total=" + std::to_string(some) + "\n";
  if (full) text += "full avg10=0.50 avg60=0.25 avg300=0.10 total=" + std::to_string(*full) + "\n";
  return text;
}

}  // namespace

TEST_CASE("pressure stall: the totals of the machine's and of a group's files, by their names",
          "[unit][util][pressure]") {
  turnout::test::TempDir machine;
  write_pressure_files(machine.path(), PressureScope::machine, {100, 200, 150, 300, 250});
  const auto read = read_pressure_totals(PressureScope::machine, machine.path().string());
  INFO((read ? "" : read.error().message));
  REQUIRE(read.ok());
  CHECK(read.value() == PressureStall{100, 200, 150, 300, 250});
  // A group's files are NAME.pressure: the machine's names are not a group's.
  CHECK_FALSE(read_pressure_totals(PressureScope::cgroup, machine.path().string()).ok());

  turnout::test::TempDir group;
  write_pressure_files(group.path(), PressureScope::cgroup, {7, 6, 5, 4, 3});
  const auto group_read = read_pressure_totals(PressureScope::cgroup, group.path().string());
  REQUIRE(group_read.ok());
  CHECK(group_read.value() == PressureStall{7, 6, 5, 4, 3});
  CHECK(turnout::util::to_string(PressureScope::machine) == std::string("machine"));
  CHECK(turnout::util::to_string(PressureScope::cgroup) == std::string("cgroup"));
  CHECK(turnout::util::parse_pressure_scope("cgroup") == PressureScope::cgroup);
  CHECK_FALSE(turnout::util::parse_pressure_scope("system").has_value());
}

TEST_CASE("pressure stall: a missing file, or memory or io without a full line, is no reading",
          "[unit][util][pressure]") {
  turnout::test::TempDir dir;
  dir.write("cpu", pressure_file(1, std::nullopt));  // cpu's full may be absent: not needed
  dir.write("memory", pressure_file(2, 1));
  auto read = read_pressure_totals(PressureScope::machine, dir.path().string());
  REQUIRE_FALSE(read.ok());
  CHECK_THAT(read.error().message, Catch::Contains((dir / "io").string()));

  dir.write("io", pressure_file(3, std::nullopt));
  read = read_pressure_totals(PressureScope::machine, dir.path().string());
  REQUIRE_FALSE(read.ok());
  CHECK_THAT(read.error().message, Catch::Contains("'full' line"));

  dir.write("io", pressure_file(3, 2));
  read = read_pressure_totals(PressureScope::machine, dir.path().string());
  REQUIRE(read.ok());
  CHECK(read.value() == PressureStall{1, 2, 1, 3, 2});
}

TEST_CASE("pressure stall: the stall over a span is each total's growth between two readings",
          "[unit][util][pressure]") {
  turnout::test::TempDir dir;
  write_pressure_files(dir.path(), PressureScope::machine, {5574082004, 1000, 400, 114907664, 43912798});
  const auto before = read_pressure_totals(PressureScope::machine, dir.path().string());
  REQUIRE(before.ok());
  write_pressure_files(dir.path(), PressureScope::machine, {5575082004, 1000, 400, 115007664, 43932798});
  const auto after = read_pressure_totals(PressureScope::machine, dir.path().string());
  REQUIRE(after.ok());
  const auto stall = stall_between(before.value(), after.value());
  REQUIRE(stall.has_value());
  CHECK(*stall == PressureStall{1000000, 0, 0, 100000, 20000});

  // Totals only grow: one that went down belongs to other counters (a group made anew).
  CHECK_FALSE(stall_between(after.value(), before.value()).has_value());
  CHECK_FALSE(stall_between({10, 10, 10, 10, 10}, {10, 10, 10, 10, 9}).has_value());
  CHECK(stall_between({10, 10, 10, 10, 10}, {10, 10, 10, 10, 10}) == PressureStall{});
}

TEST_CASE("pressure stall: two readings of this machine's /proc/pressure give a stall",
          "[unit][util][pressure]") {
  const auto before = read_pressure_totals(PressureScope::machine, "/proc/pressure");
  if (!before && before.error().kind == turnout::util::ErrorKind::not_found) {
    WARN("skipped: no /proc/pressure here (" + before.error().message + ")");
    return;
  }
  INFO((before ? "" : before.error().message));
  REQUIRE(before.ok());
  const auto after = read_pressure_totals(PressureScope::machine, "/proc/pressure");
  REQUIRE(after.ok());
  CHECK(stall_between(before.value(), after.value()).has_value());
}
