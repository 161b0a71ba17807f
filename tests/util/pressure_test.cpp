// The kernel's pressure file format: parsed strictly from files the test writes, and from this
// machine's own /proc/pressure/cpu where the kernel has PSI.
#include "util/pressure.h"

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"

using turnout::util::ErrorKind;
using turnout::util::parse_pressure;
using turnout::util::read_pressure;

TEST_CASE("pressure: a file's some and full lines are read, every figure of them", "[unit][util][pressure]") {
  turnout::test::TempDir dir;
  const auto path = dir.write("memory.pressure",
                              "some avg10=0.00 avg60=1.20 avg300=3.53 total=5574082004\n"
                              "full avg10=12.50 avg60=0.07 avg300=100.00 total=18446744073709551615\n");
  const auto read = read_pressure(path.string());
  INFO((read ? "" : read.error().message));
  REQUIRE(read.ok());
  const auto& pressure = read.value();
  CHECK(pressure.some.avg10 == 0.0);
  CHECK(pressure.some.avg60 == Approx(1.20));
  CHECK(pressure.some.avg300 == Approx(3.53));
  CHECK(pressure.some.total_us == 5574082004u);
  REQUIRE(pressure.full.has_value());
  CHECK(pressure.full->avg10 == Approx(12.5));
  CHECK(pressure.full->avg60 == Approx(0.07));
  CHECK(pressure.full->avg300 == Approx(100.0));
  CHECK(pressure.full->total_us == 18446744073709551615u);
}

TEST_CASE("pressure: cpu's full line may be absent (before Linux 5.13) or all zero",
          "[unit][util][pressure]") {
  turnout::test::TempDir dir;
  const auto old =
      read_pressure(dir.write("cpu", "some avg10=2.04 avg60=0.75 avg300=0.40 total=157622\n").string());
  REQUIRE(old.ok());
  CHECK(old.value().some.total_us == 157622u);
  CHECK_FALSE(old.value().full.has_value());

  const auto zero = read_pressure(dir.write("cpu.pressure",
                                            "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                                            "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
                                      .string());
  REQUIRE(zero.ok());
  REQUIRE(zero.value().full.has_value());
  CHECK(zero.value().full->total_us == 0u);
}

TEST_CASE("pressure: anything but the kernel's format is an error naming the line",
          "[unit][util][pressure]") {
  const char* const bad[] = {
      "",
      "\n",
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=5",                       // no newline: cut short
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=5 \n",                    // a space after total
      "some avg10=0.00 avg60=0.00 avg300=0.00\n",                             // no total
      "some avg10=0.00 avg300=0.00 avg60=0.00 total=5\n",                     // out of order
      "some avg10=0 avg60=0.00 avg300=0.00 total=5\n",                        // no decimal point
      "some avg10=.50 avg60=0.00 avg300=0.00 total=5\n",                      // no integer part
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=-5\n",                    // negative
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=18446744073709551616\n",  // past 64 bits
      "some avg10=0.00  avg60=0.00 avg300=0.00 total=5\n",                    // two spaces
      "some\tavg10=0.00 avg60=0.00 avg300=0.00 total=5\n",                    // a tab
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=5 extra=1\n",             // a field more
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=5\n",                     // full without some
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n"
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n",  // some twice
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n"
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=5\n"
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=5\n",  // a third line
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n"
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=5",  // full cut short
  };
  for (const char* text : bad) {
    INFO("'" << text << "'");
    const auto parsed = parse_pressure(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == ErrorKind::invalid);
    CHECK_THAT(parsed.error().message, Catch::StartsWith("pressure"));
  }
  const auto parsed = parse_pressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=x\n");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().message == "pressure line 'some': 'total=' is not a whole number of microseconds");
}

TEST_CASE("pressure: a file that is not there is not_found, one that does not parse names its path",
          "[unit][util][pressure]") {
  turnout::test::TempDir dir;
  const auto missing = read_pressure((dir / "io.pressure").string());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK_THAT(missing.error().message, Catch::StartsWith("cannot read " + (dir / "io.pressure").string()));

  const auto path = dir.write("io.pressure", "some total=5\n");
  const auto wrong = read_pressure(path.string());
  REQUIRE_FALSE(wrong.ok());
  CHECK_THAT(wrong.error().message, Catch::StartsWith(path.string() + ": pressure line 'some'"));
}

TEST_CASE("pressure: this machine's /proc/pressure/cpu parses, where the kernel has PSI",
          "[unit][util][pressure]") {
  const auto read = read_pressure("/proc/pressure/cpu");
  if (!read && read.error().kind == ErrorKind::not_found) {
    WARN("skipped: no /proc/pressure here (a kernel without PSI, or booted with psi=0)");
    return;
  }
  INFO((read ? "" : read.error().message));
  REQUIRE(read.ok());
  // Since boot something waited for a CPU at some time, if only this test's own build.
  CHECK(read.value().some.avg300 <= 100.0);
  CHECK(read.value().some.total_us > 0u);
}
