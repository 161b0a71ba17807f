#include "util/utc_time.h"

#include <catch2/catch.hpp>
#include <regex>

using namespace turnout::util;

TEST_CASE("UTC times format with milliseconds and parse back", "[unit][util]") {
  const auto time = std::chrono::system_clock::from_time_t(1795341600) + std::chrono::milliseconds(123);
  CHECK(format_utc(time) == "2026-11-22T10:00:00.123Z");
  CHECK(parse_utc("2026-11-22T10:00:00.123Z") == time);
  CHECK(parse_utc("2026-11-22T10:00:00Z") == time - std::chrono::milliseconds(123));
}

TEST_CASE("anything else is not a UTC time", "[unit][util]") {
  for (const char* text :
       {"", "2026-11-22", "2026-11-22T10:00:00", "2026-11-22T10:00:00+01:00", "yesterday"}) {
    INFO(text);
    CHECK_FALSE(parse_utc(text).has_value());
  }
}

TEST_CASE("utc_now is ISO-8601 UTC with milliseconds", "[unit][util]") {
  const auto stamp = utc_now();
  CHECK(std::regex_match(stamp, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  CHECK(stamp.substr(0, 2) == "20");
}
