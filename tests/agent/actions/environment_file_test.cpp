#include "agent/actions/environment_file.h"

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"

using namespace turnout::agent::actions;
using turnout::test::TempDir;

TEST_CASE("a one-line output is name=value", "[unit][actions]") {
  CHECK(format_output("result", "success") == "result=success\n");
  CHECK(format_output("live_slot", "") == "live_slot=\n");
}

TEST_CASE("a multi-line output uses a delimiter that is not in the value", "[unit][actions]") {
  int calls = 0;
  // The first delimiter occurs in the value, so a second one must be drawn.
  const DelimiterSource delimiters = [&] { return ++calls == 1 ? std::string("EOF") : std::string("D2"); };
  CHECK(format_output("reason", "line 1\nEOF\nline 3", delimiters) ==
        "reason<<D2\nline 1\nEOF\nline 3\nD2\n");
  CHECK(calls == 2);
  CHECK(format_output("r", "a\rb", [] { return std::string("X"); }) == "r<<X\na\rb\nX\n");
}

TEST_CASE("random delimiters look like the toolkit's and differ", "[unit][actions]") {
  const auto a = random_delimiter();
  CHECK_THAT(a, Catch::StartsWith("ghadelimiter_"));
  CHECK(a.size() == 13 + 32);
  CHECK(a != random_delimiter());
}

TEST_CASE("append_to_file keeps what was there", "[unit][actions]") {
  TempDir dir;
  const auto path = dir.write("out", "earlier=1\n");
  REQUIRE(append_to_file(path.string(), "later=2\n"));
  CHECK(turnout::test::read_file(path) == "earlier=1\nlater=2\n");
  const auto failed = append_to_file((dir / "no/such/folder/out").string(), "x");
  REQUIRE_FALSE(failed);
  CHECK_THAT(failed.error().message, Catch::Contains("no/such/folder/out"));
}
