// The app's deploy history file (deploys.json): what a deploy adds, newest first, bounded.
#include "steps/deploy/deploy_record.h"

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"

using namespace turnout::steps::deploy;
using turnout::test::TempDir;

TEST_CASE("deploy record: kept newest first, bounded, read back whole", "[unit][deploy]") {
  TempDir dir;
  CHECK(load_deploys(dir.path().string()).value().empty());
  DeployRecord record;
  record.run_id = "7";
  record.sha = "abc";
  record.target = Slot::green;
  record.from = Slot::blue;
  record.started_at = "2026-12-07T10:00:00.000Z";
  record.finished_at = "2026-12-07T10:00:09.000Z";
  record.phases = {{Phase::prepare, "2026-12-07T10:00:00.000Z"},
                   {Phase::switch_traffic, "2026-12-07T10:00:05.000Z"}};
  record.probes = {{"2026-12-07T10:00:02.000Z", 1, 30, "GET /health -> 503 \"<b>\""}};
  record.switched_at = "2026-12-07T10:00:05.100Z";
  record.rolled_back_at = "2026-12-07T10:00:08.000Z";
  record.result = DeployResult::rolled_back;
  record.reason = "slot green failed after the switch";
  for (int run = 1; run <= 4; ++run) {
    record.run_id = std::to_string(run);
    REQUIRE(add_deploy(dir.path().string(), record, 3));
  }
  const auto deploys = load_deploys(dir.path().string()).value();
  REQUIRE(deploys.size() == 3);
  CHECK(deploys[0].run_id == "4");
  CHECK(deploys[2].run_id == "2");
  CHECK(deploys[0].from == Slot::blue);
  CHECK(deploys[0].target == Slot::green);
  REQUIRE(deploys[0].phases.size() == 2);
  CHECK(deploys[0].phases[1].phase == Phase::switch_traffic);
  REQUIRE(deploys[0].probes.size() == 1);
  CHECK(deploys[0].probes[0].reason == "GET /health -> 503 \"<b>\"");
  CHECK(deploys[0].probes[0].attempts == 30);
  CHECK(deploys[0].result == DeployResult::rolled_back);
  CHECK(deploys[0].rolled_back_at == "2026-12-07T10:00:08.000Z");

  // A file that is not a history is named; the next deploy starts a new one.
  dir.write("deploys.json", "{\"deploys\": [{\"target\": \"purple\", \"result\": \"live\"}]}");
  const auto broken = load_deploys(dir.path().string());
  REQUIRE_FALSE(broken);
  CHECK_THAT(broken.error().message, Catch::Contains("deploys.json") && Catch::Contains("purple"));
  REQUIRE(add_deploy(dir.path().string(), record));
  CHECK(load_deploys(dir.path().string()).value().size() == 1);
}
