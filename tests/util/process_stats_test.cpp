#include "util/process_stats.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <vector>

using turnout::util::read_process_stats;

TEST_CASE("read_process_stats reads this process's CPU time and resident memory", "[unit][util]") {
  const auto before = read_process_stats();
  REQUIRE(before.has_value());
  CHECK(before->resident_bytes > 1024 * 1024);
  // Touch 64 MiB and spin a little: both figures can only grow.
  std::vector<char> touched(64 * 1024 * 1024, 1);
  volatile unsigned long sum = 0;
  for (const char c : touched) sum = sum + static_cast<unsigned long>(c);
  const auto after = read_process_stats(::getpid());
  REQUIRE(after.has_value());
  CHECK(after->resident_bytes >= before->resident_bytes + 32 * 1024 * 1024);
  CHECK(after->cpu_seconds > before->cpu_seconds);
  CHECK_FALSE(read_process_stats(999999999).has_value());
}
