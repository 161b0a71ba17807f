#include "agent/dashboard/log_view.h"

#include <algorithm>

#include <catch2/catch.hpp>

using namespace turnout::agent;

TEST_CASE("log view: ANSI colours become classes, other escapes and controls go", "[unit][dashboard]") {
  const auto spans = ansi_spans("plain \x1b[1;31mbold red\x1b[0m \x1b[92mbright\x1b[39m end\x1b[2K\x07");
  REQUIRE(spans.size() == 5);
  CHECK(spans[0].text == "plain ");
  CHECK(spans[0].classes.empty());
  CHECK(spans[1].text == "bold red");
  CHECK(spans[1].classes == "b fg1");
  CHECK(spans[2].text == " ");
  CHECK(spans[3].text == "bright");
  CHECK(spans[3].classes == "fg10");
  CHECK(spans[4].text == " end");
  CHECK(ansi_spans("\x1b[38;5;196mx").front().classes.empty());
  CHECK(ansi_spans("<b>&amp;</b>").front().text == "<b>&amp;</b>");  // the template escapes it
}

TEST_CASE("log view: lines split into time, marker and text, numbered from the start", "[unit][dashboard]") {
  const std::string log =
      "2026-12-02T08:00:00.000Z ==> build\n"
      "2026-12-02T08:00:00.100Z out hello world\n"
      "not a stamped line\n"
      "2026-12-02T08:00:01.000Z err half";
  const auto whole = log_lines(log, 0, true);
  REQUIRE(whole.size() == 4);
  CHECK(whole[0].number == 1);
  CHECK(whole[0].marker == "==>");
  CHECK(whole[1].time == "2026-12-02T08:00:00.100Z");
  CHECK(whole[1].spans.front().text == "hello world");
  CHECK(whole[2].marker.empty());
  CHECK(whole[2].spans.front().text == "not a stamped line");
  CHECK(whole[3].number == 4);
  CHECK(whole[3].offset == static_cast<std::int64_t>(log.rfind('\n') + 1));
  // A run still writing: its last line waits until it is complete.
  CHECK(log_lines(log, 0, false).size() == 3);
  // A window from the middle drops its partial first line and numbers none.
  const auto tail = log_lines(log.substr(10), 10, true);
  REQUIRE(tail.size() == 3);
  CHECK(tail[0].number == 0);
  CHECK(tail[0].offset == static_cast<std::int64_t>(log.find('\n') + 1));
  // Told the log's newlines before the window, it numbers its lines as the whole log does.
  const auto counted = log_lines(log.substr(10), 10, true, std::count(log.begin(), log.begin() + 10, '\n'));
  REQUIRE(counted.size() == 3);
  for (std::size_t i = 0; i < counted.size(); ++i) {
    const auto same = std::find_if(whole.begin(), whole.end(),
                                   [&](const LogLine& line) { return line.offset == counted[i].offset; });
    REQUIRE(same != whole.end());
    CHECK(counted[i].number == same->number);
  }
  CHECK(counted[0].number > 1);
}

TEST_CASE("log view: the lines' markup escapes every text and anchors each line", "[unit][dashboard]") {
  const auto html = log_html(log_lines("2026-12-02T08:00:00.000Z err <b>\"x\" & \x1b[31m'y'</b>\n", 0, true));
  CHECK_THAT(html, Catch::Contains("<div class=\"line err\" id=\"L1\"><a class=\"ln\" href=\"#L1\">1</a>"));
  CHECK_THAT(html, Catch::Contains("<time datetime=\"2026-12-02T08:00:00.000Z\""));
  CHECK_THAT(html, Catch::Contains(
                       "&lt;b&gt;&quot;x&quot; &amp; <span class=\"fg1\">&apos;y&apos;&lt;/b&gt;</span>"));
  CHECK(html.find("<b>") == std::string::npos);
  CHECK_THAT(log_html(log_lines("x\n2026-12-02T08:00:00.000Z out y\n", 5, true)),
             Catch::Contains("id=\"B7\""));
}
