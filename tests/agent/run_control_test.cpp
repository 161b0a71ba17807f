#include "agent/run_control.h"

#include <catch2/catch.hpp>

using namespace turnout;
using turnout::agent::RunControl;
using turnout::agent::RunEnding;
using turnout::agent::RunStatus;

namespace {

pipeline::Stage stage_named(const std::string& name, bool deploy) {
  pipeline::Stage stage;
  stage.name = name;
  if (deploy) stage.deploy = pipeline::Deploy{};
  return stage;
}

}  // namespace

TEST_CASE("run control: a stop cancels at once outside a deploy stage", "[unit][scheduler]") {
  RunControl control;
  control.stage_started(stage_named("build", false));
  CHECK(control.stop(RunEnding{RunStatus::cancelled, "asked"}));
  CHECK(control.token().cancelled());
  REQUIRE(control.ending());
  CHECK(control.ending()->reason == "asked");
}

TEST_CASE("run control: a deploy stage in progress finishes before the stop takes effect",
          "[unit][scheduler]") {
  RunControl control;
  const auto deploy = stage_named("deploy", true);
  control.stage_started(deploy);
  CHECK_FALSE(control.stop(RunEnding{RunStatus::superseded, "superseded by run 9", 9}));
  CHECK_FALSE(control.token().cancelled());
  // A second request does not replace the first.
  control.stop(RunEnding{RunStatus::cancelled, "later"});
  control.stage_finished(deploy, steps::StageResult{});
  CHECK(control.token().cancelled());
  CHECK(control.ending()->status == RunStatus::superseded);
  CHECK(control.ending()->superseded_by == 9);
}

TEST_CASE("run control: nothing asked, nothing cancelled", "[unit][scheduler]") {
  RunControl control;
  control.stage_finished(stage_named("build", false), steps::StageResult{});
  CHECK_FALSE(control.token().cancelled());
  CHECK_FALSE(control.ending());
}
