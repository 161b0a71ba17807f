#include "agent/actions/workflow_commands.h"

#include <catch2/catch.hpp>

using namespace turnout::agent::actions;

TEST_CASE("message data escapes %, CR and LF and nothing else", "[unit][actions]") {
  CHECK(escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b");
  CHECK(escape_data("%0A") == "%250A");  // an escape sequence in the text stays text
  CHECK(escape_data("") == "");
}

TEST_CASE("property values also escape : and ,", "[unit][actions]") {
  CHECK(escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A");
}

TEST_CASE("commands put properties after the name, comma-separated, and skip empty ones", "[unit][actions]") {
  CHECK(format_command("warning", {}, "careful") == "::warning::careful");
  CHECK(format_command("error", {{"file", "a,b.yml"}, {"line", ""}, {"title", "x: y"}}, "two\nlines") ==
        "::error file=a%2Cb.yml,title=x%3A y::two%0Alines");
}

TEST_CASE("annotations carry file, line, col and title when given", "[unit][actions]") {
  CHECK(format_annotation("error", {"invalid pipeline", ".turnout.yml", 4, 5}, "unknown key 'stpes'") ==
        "::error file=.turnout.yml,line=4,col=5,title=invalid pipeline::unknown key 'stpes'");
  CHECK(format_annotation("warning", {"build › lint", "", 0, 0}, "failed") ==
        "::warning title=build › lint::failed");
}

TEST_CASE("group, mask and stop-commands lines", "[unit][actions]") {
  CHECK(format_group("build\nstage") == "::group::build%0Astage");
  CHECK(format_endgroup() == "::endgroup::");
  CHECK(format_add_mask("p%ss") == "::add-mask::p%25ss");
  CHECK(format_stop_commands("tok123") == "::stop-commands::tok123");
  CHECK(format_resume_commands("tok123") == "::tok123::");
}
