#include "util/duration.h"

#include <catch2/catch.hpp>

using turnout::util::Duration;
using turnout::util::format_duration;
using turnout::util::parse_duration;

TEST_CASE("durations parse in every unit", "[unit][util]") {
  CHECK(parse_duration("500ms") == Duration(500));
  CHECK(parse_duration("10s") == Duration(10'000));
  CHECK(parse_duration("5m") == Duration(300'000));
  CHECK(parse_duration("1h") == Duration(3'600'000));
  CHECK(parse_duration("0s") == Duration(0));
}

TEST_CASE("anything else is not a duration", "[unit][util]") {
  for (const char* text : {"", "10", "s", "-5s", "1.5s", "10 s", "10sec", "5d", "9999999999h", "10s "}) {
    INFO(text);
    CHECK_FALSE(parse_duration(text).has_value());
  }
}

TEST_CASE("durations print for people", "[unit][util]") {
  CHECK(format_duration(Duration(850)) == "850ms");
  CHECK(format_duration(Duration(4'200)) == "4.2s");
  CHECK(format_duration(Duration(185'000)) == "3m05s");
  CHECK(format_duration(Duration(3'720'000)) == "1h02m");
}
