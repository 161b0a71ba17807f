#include "util/strings.h"

#include <catch2/catch.hpp>

using namespace turnout::util;

TEST_CASE("edit distance counts single-character edits and transpositions", "[unit][util]") {
  CHECK(edit_distance("steps", "steps") == 0);
  CHECK(edit_distance("stpes", "steps") == 1);
  CHECK(edit_distance("rnu", "run") == 1);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("did_you_mean suggests only a plausible typo", "[unit][util]") {
  const std::vector<std::string> keys{"steps", "env", "when", "name"};
  CHECK(did_you_mean("stpes", keys) == " (did you mean 'steps'?)");
  CHECK(did_you_mean("wen", keys) == " (did you mean 'when'?)");
  CHECK(did_you_mean("rnu", {"run", "validate"}) == " (did you mean 'run'?)");
  CHECK(did_you_mean("completely-different", keys).empty());
}

TEST_CASE("glob_match follows fnmatch", "[unit][util]") {
  CHECK(glob_match("main", "main"));
  CHECK(glob_match("release/*", "release/1.2"));
  CHECK_FALSE(glob_match("release/*", "main"));
  CHECK_FALSE(glob_match("main", "mainline"));
}

TEST_CASE("join puts the separator between parts only", "[unit][util]") {
  CHECK(join({"a", "b", "c"}, ", ") == "a, b, c");
  CHECK(join({}, ", ").empty());
}

TEST_CASE("format_mebibytes rounds to the nearest whole MiB", "[unit][util]") {
  CHECK(turnout::util::format_mebibytes(0) == "0M");
  CHECK(turnout::util::format_mebibytes(512 * 1024 - 1) == "0M");
  CHECK(turnout::util::format_mebibytes(512 * 1024) == "1M");
  CHECK(turnout::util::format_mebibytes(812ull << 20) == "812M");
}

TEST_CASE("ascii_lower lowers A-Z only, whatever the locale", "[unit][util]") {
  CHECK(turnout::util::ascii_lower("X-GitHub-Delivery") == "x-github-delivery");
  CHECK(turnout::util::ascii_lower("Acme/Cafeteria_9") == "acme/cafeteria_9");
  CHECK(turnout::util::ascii_lower("\xC3\x84pfel") == "\xC3\x84pfel");  // UTF-8 bytes stay
  CHECK(turnout::util::ascii_lower("") == "");
}

TEST_CASE("first_control_character finds C0 controls and DEL, and nothing else", "[unit][util]") {
  using turnout::util::first_control_character;
  CHECK(first_control_character("refs/heads/main") == std::string_view::npos);
  CHECK(first_control_character("caf\xc3\xa9 \x7e") == std::string_view::npos);
  CHECK(first_control_character(std::string_view("ab\0c", 4)) == 2);
  CHECK(first_control_character("a\x1b[31m") == 1);
  CHECK(first_control_character("abc\x7f") == 3);
}

TEST_CASE("escape_control_characters leaves one line of plain text", "[unit][util]") {
  using turnout::util::escape_control_characters;
  CHECK(escape_control_characters("d-1") == "d-1");
  CHECK(escape_control_characters(std::string_view("a\0b\x1b[2J\a", 8)) == "a\\x00b\\x1b[2J\\x07");
  CHECK(escape_control_characters("x\ny\tz\r") == "x\\ny\\tz\\r");
  CHECK(escape_control_characters("back\\slash") == "back\\\\slash");
  CHECK(escape_control_characters("\xc3\xa9") == "\xc3\xa9");
}
