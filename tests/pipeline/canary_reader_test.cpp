// `strategy: canary`'s keys: what a valid one reads as, and each refusal at its key with the fix.
#include "pipeline/canary_reader.h"

#include <catch2/catch.hpp>

#include <string>

#include "pipeline/loader.h"

using Catch::Matchers::Contains;
using turnout::pipeline::load_string;
using turnout::pipeline::LoadResult;
using turnout::pipeline::Sticky;
using turnout::util::Duration;

namespace {

const char kFile[] = ".turnout.yml";

struct Parts {
  std::string proxy = "{nginx: {}}";
  std::string start = "./serve --port $PORT";
  std::string steps = "        - {weight: 10%, hold: 2s}\n        - {weight: 50%, hold: 2s}\n";
  std::string extra;  // lines after `steps`
};

// Lines 1-10 are fixed; the steps start at line 11 (column 20 is a step's weight).
std::string pipeline(const Parts& parts) {
  return "name: x\nstages:\n  - name: ship\n    deploy:\n      app: web\n"
         "      slots: {blue: 8001, green: 8002}\n      start: " +
         parts.start + "\n      proxy: " + parts.proxy + "\n      strategy: canary\n      steps:\n" +
         parts.steps + parts.extra;
}

std::string describe(const LoadResult& result) {
  std::string out;
  for (const auto& error : result.errors) out += error.to_string() + "\n";
  return out.empty() ? "(no errors)" : out;
}

void check_only_error(const Parts& parts, int line, int column, const std::string& text) {
  const auto result = load_string(pipeline(parts), kFile);
  INFO(pipeline(parts) << describe(result));
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].file == kFile);
  CHECK(result.errors[0].line == line);
  CHECK(result.errors[0].column == column);
  CHECK_THAT(result.errors[0].message, Contains(text));
}

}  // namespace

TEST_CASE("canary: steps, analysis and sticky are read", "[unit][pipeline][canary]") {
  Parts parts;
  parts.extra =
      "      analysis: {max_error_rate: 1%, max_latency_ratio: 1.5, min_requests: 200, window: 1s}\n"
      "      sticky: ip\n";
  const auto result = load_string(pipeline(parts), kFile);
  INFO(describe(result));
  REQUIRE(result.ok());
  const auto& deploy = *result.pipeline.stages[0].deploy;
  CHECK(deploy.strategy == "canary");
  REQUIRE(deploy.canary);
  REQUIRE(deploy.canary->steps.size() == 2);
  CHECK(deploy.canary->steps[0].weight == 10);
  CHECK(deploy.canary->steps[1].weight == 50);
  CHECK(deploy.canary->steps[1].hold == Duration(2000));
  CHECK(deploy.canary->steps[1].position.line == 12);
  CHECK(deploy.canary->analysis.max_error_rate == Approx(0.01));
  CHECK(deploy.canary->analysis.max_latency_ratio == Approx(1.5));
  CHECK(deploy.canary->analysis.min_requests == 200);
  CHECK(deploy.canary->analysis.window == Duration(1000));
  CHECK(deploy.canary->sticky == Sticky::ip);

  const auto plain = load_string(pipeline(Parts{}), kFile);
  INFO(describe(plain));
  REQUIRE(plain.ok());
  const auto& canary = *plain.pipeline.stages[0].deploy->canary;
  CHECK(canary.sticky == Sticky::cookie);  // the default: a client keeps its version
  CHECK_FALSE(canary.analysis.max_error_rate);
  CHECK_FALSE(canary.analysis.window);
  CHECK_FALSE(load_string(pipeline(Parts{}).substr(0, pipeline(Parts{}).find("      strategy")), kFile)
                  .pipeline.stages[0]
                  .deploy->canary);  // blue-green has none
}

TEST_CASE("canary: a weight without %, over 100%, fractional or not increasing is refused",
          "[unit][pipeline][canary]") {
  Parts parts;
  SECTION("without %") {
    parts.steps = "        - {weight: 10, hold: 2s}\n";
    check_only_error(parts, 11, 20,
                     "`weight` '10' must be a percent of the traffic, with its % sign (e.g. 10%)");
  }
  SECTION("over 100%") {
    parts.steps = "        - {weight: 150%, hold: 2s}\n";
    check_only_error(parts, 11, 20, "`weight` 150% is over 100%");
  }
  SECTION("fractional or zero") {
    parts.steps = "        - {weight: 12.5%, hold: 2s}\n";
    check_only_error(parts, 11, 20, "must be a whole percent of at least 1%");
    parts.steps = "        - {weight: 0%, hold: 2s}\n";
    check_only_error(parts, 11, 20, "must be a whole percent of at least 1%");
  }
  SECTION("not increasing") {
    parts.steps = "        - {weight: 50%, hold: 2s}\n        - {weight: 50%, hold: 2s}\n";
    check_only_error(
        parts, 12, 20,
        "`deploy.steps` item 2 of stage 'ship': `weight` 50% must be above the step before's 50% "
        "(line 11): weights increase");
  }
  SECTION("no steps, or a step that is not a mapping") {
    parts.steps = "";
    parts.extra = "      sticky: none\n";
    check_only_error(parts, 10, 7, "`deploy` of stage 'ship': `steps` must be a list");
    parts.steps = "        - 10%\n";
    parts.extra = "";
    check_only_error(parts, 11, 11, "must be a mapping such as {weight: 10%, hold: 2m}");
    parts.steps = "        - {weight: 10%}\n";
    check_only_error(parts, 11, 11, "is missing 'hold'");
  }
}

TEST_CASE("canary: a hold under the probe interval or the analysis window is refused",
          "[unit][pipeline][canary]") {
  Parts parts;
  parts.steps = "        - {weight: 10%, hold: 500ms}\n";
  check_only_error(
      parts, 11, 31,
      "`hold` 500ms is shorter than the health probe interval (1.0s): hold longer, or probe more "
      "often (`deploy.health.interval`)");
  parts.steps = "        - {weight: 10%, hold: 2s}\n";
  parts.extra = "      analysis: {max_error_rate: 1%, window: 5s}\n";
  check_only_error(parts, 11, 31, "is shorter than `deploy.analysis.window` (5.0s)");
}

TEST_CASE("canary: analysis without a threshold, or with a bad one, is refused", "[unit][pipeline][canary]") {
  Parts parts;
  parts.extra = "      analysis: {window: 1s}\n";
  check_only_error(
      parts, 13, 17,
      "`deploy.analysis` of stage 'ship': sets no threshold: give max_error_rate, max_latency_ratio "
      "or min_requests");
  parts.extra = "      analysis: {max_error_rate: 1}\n";
  check_only_error(parts, 13, 34, "`max_error_rate` '1' must be a percent from 0% to 100%, with its % sign");
  parts.extra = "      analysis: {max_latency_ratio: 0.5}\n";
  check_only_error(parts, 13, 37, "`max_latency_ratio` '0.5' must be a number of at least 1");
  parts.extra = "      analysis: {min_requests: 0}\n";
  check_only_error(parts, 13, 32, "`min_requests` must be at least 1");
  parts.extra = "      sticky: session\n";
  check_only_error(parts, 13, 15, "unknown `sticky` 'session' (expected cookie");
}

TEST_CASE("canary: nginx's mode reload, the command backend and a one-slot supervisor are refused",
          "[unit][pipeline][canary]") {
  Parts parts;
  SECTION("mode reload") {
    parts.proxy = "{nginx: {mode: reload, upstream_file: /u}}";
    check_only_error(parts, 8, 7,
                     "`strategy: canary` needs nginx's mode flag (the weights live in its includes, changed "
                     "without a reload): drop `mode: reload`");
  }
  SECTION("the command backend") {
    parts.proxy = "{command: {switch: s, current: c}}";
    check_only_error(parts, 8, 7, "`strategy: canary` needs `proxy.nginx`");
  }
  SECTION("an outside supervisor that cannot run two slots") {
    parts.start = "systemctl start web";
    parts.extra = "      stop: systemctl stop web\n";
    check_only_error(parts, 13, 7,
                     "names neither $TURNOUT_SLOT nor $PORT, so it cannot run two (e.g. `systemctl start "
                     "app@$TURNOUT_SLOT`");
    parts.start = "systemctl start web@$TURNOUT_SLOT";
    const auto result = load_string(pipeline(parts), kFile);
    INFO(describe(result));
    CHECK(result.ok());
  }
}

TEST_CASE("canary: its keys under blue-green, or canary without steps, are refused",
          "[unit][pipeline][canary]") {
  const std::string base =
      "name: x\nstages:\n  - name: ship\n    deploy:\n      app: web\n      slots: {blue: 8001, green: "
      "8002}\n"
      "      start: s\n      proxy: {nginx: {}}\n";
  const auto blue_green = load_string(base + "      sticky: ip\n", kFile);
  INFO(describe(blue_green));
  REQUIRE(blue_green.errors.size() == 1);
  CHECK(blue_green.errors[0].line == 9);
  CHECK(blue_green.errors[0].column == 7);
  CHECK_THAT(blue_green.errors[0].message,
             Contains("`sticky` belongs to `strategy: canary` (add it, or drop this key)"));
  const auto no_steps = load_string(base + "      strategy: canary\n", kFile);
  INFO(describe(no_steps));
  REQUIRE(no_steps.errors.size() == 1);
  CHECK(no_steps.errors[0].line == 5);
  CHECK_THAT(no_steps.errors[0].message, Contains("`deploy` is missing 'steps'"));
}

TEST_CASE("canary: parse_percent takes a number and its % sign", "[unit][pipeline][canary]") {
  using turnout::pipeline::detail::parse_percent;
  CHECK(parse_percent("10%") == 10.0);
  CHECK(parse_percent("0.5%") == 0.5);
  CHECK_FALSE(parse_percent("10"));
  CHECK_FALSE(parse_percent("%"));
  CHECK_FALSE(parse_percent("ten%"));
  CHECK_FALSE(parse_percent("10 %"));
}
