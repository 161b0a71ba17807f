#include "agent/run/run_control.h"

#include <catch2/catch.hpp>

#include "agent/store/store.h"
#include "tests/support/temp_dir.h"

using namespace turnout;
using turnout::agent::RunControl;
using turnout::agent::RunEnding;
using turnout::agent::RunStatus;
using turnout::agent::Store;

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

TEST_CASE("run control: a run that loads a cancel-in-progress pipeline stops when a newer push waits",
          "[unit][scheduler][store]") {
  // The push came while the run was fetching: nothing knew yet that the branch cancels in progress.
  turnout::test::TempDir dir;
  auto opened = Store::open(dir.path().string());
  REQUIRE(opened);
  Store& store = *opened.value();
  const auto push = [&](const std::string& delivery, const std::string& sha, const std::string& branch) {
    const agent::DeliveryRecord record{delivery, "push",   "acme/app", "refs/heads/" + branch,
                                       sha,      "queued", ""};
    const agent::NewRun run{"/srv/app.git",
                            "refs/heads/" + branch,
                            branch,
                            sha,
                            "",
                            turnout::agent::Trigger::webhook,
                            std::nullopt,
                            "acme/app",
                            true};
    return store.queue.queue_delivery(record, run).value().run_id;
  };
  const auto running = push("d1", "aaa", "main");
  REQUIRE(store.queue.claim_next().value()->id == running);
  const auto newer = push("d2", "bbb", "main");
  push("d3", "ccc", "dev");

  RunControl before_pipeline;
  agent::stop_if_replaced(store.queue, running, before_pipeline);  // its concurrency is not recorded yet
  CHECK_FALSE(before_pipeline.token().cancelled());

  REQUIRE(store.history.set_pipeline(running, "app", turnout::pipeline::Concurrency::cancel_in_progress));
  RunControl control;
  agent::stop_if_replaced(store.queue, running, control);
  CHECK(control.token().cancelled());
  REQUIRE(control.ending());
  CHECK(control.ending()->status == RunStatus::superseded);
  CHECK(control.ending()->superseded_by == newer);
  CHECK(control.ending()->reason ==
        "superseded by run " + std::to_string(newer) + " (cancelled in progress)");

  RunControl other;
  agent::stop_if_replaced(store.queue, newer, other);  // queued, not running: nothing replaces it
  CHECK_FALSE(other.token().cancelled());
}
