// `strategy: canary` through `turnout run` (no agent: judged by its probes, with the warning),
// and SIGKILL of the deploying turnout during a hold, reconciled at the next start.
#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <thread>

#include "steps/deploy/app_state.h"
#include "tests/support/agent_server.h"
#include "tests/support/background_process.h"
#include "tests/support/deploy_site.h"
#include "tests/support/http_get.h"
#include "tests/support/slot_string.h"

using namespace turnout;
using namespace turnout::test;

namespace {

// A canary of one step at 10%, held `hold`.
DeployKnobs canary(const std::string& hold) {
  DeployKnobs knobs;
  knobs.timing += "      strategy: canary\n      steps: [ {weight: 10%, hold: " + hold +
                  "} ]\n      analysis: {max_error_rate: 1%}\n      sticky: none\n";
  return knobs;
}

// Waits (up to 60 s) until the app's deploy holds its canary's first step at 10% on `slot`, the
// split in place.
bool holding_slot(const DeploySite& site, const std::string& slot) {
  const auto link = site.dir / "nginx-web" / "weights" / "current";
  for (int i = 0; i < 3000; ++i) {
    const auto state = site.state();
    std::error_code error;
    if (state.journal && state.journal->phase == steps::deploy::Phase::canary &&
        state.journal->canary_weight == 10 && to_string(state.journal->target) == slot &&
        std::filesystem::is_symlink(link, error))
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// The same for the green slot, the canary of a second deploy.
bool holding(const DeploySite& site) { return holding_slot(site, "green"); }

// Waits (up to 60 s) until `process` has ended.
bool ended(BackgroundProcess& process) {
  for (int i = 0; i < 3000 && process.running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return !process.running();
}

}  // namespace

TEST_CASE(
    "canary command: turnout run judges by the probes, with a warning, until it can receive the feed itself",
    "[integration][deploy][nginx][canary]") {
  DeploySite site;
  const auto first = site.deploy("v1", canary("1s"));
  INFO(first.out << first.err);
  REQUIRE(first.exit_code == 0);
  CHECK_THAT(first.out, Catch::Contains("nothing is live to compare slot blue with (the first deploy)"));
  const auto second = site.deploy("v2", canary("1s"));
  INFO(second.out << second.err);
  REQUIRE(second.exit_code == 0);
  CHECK_THAT(second.out,
             Catch::Contains("warning: the canary is judged by its probes only: the traffic feed is "
                             "off for app web (set `proxy.nginx.feed: true`)"));
  CHECK_THAT(second.out, Catch::Contains("canary: slot green at 10% for 1.0s (step 1 of 1, then 100%)"));
  CHECK(site.serves("v2"));

  // With `feed: true` the first such deploy makes the data folder's feed endpoint (too late for
  // its own run to listen); from then on `turnout run` receives the feed itself, no agent holding
  // its port, and judges the canary by the figures while a client asks.
  DeployKnobs fed = canary("1s");
  fed.feed = true;
  const auto third = site.deploy("v3", fed);
  INFO(third.out << third.err);
  REQUIRE(third.exit_code == 0);
  CHECK_THAT(third.out,
             Catch::Contains("warning: the canary is judged by its probes only: no traffic feed in "
                             "this process"));
  std::atomic<bool> asking{true};
  std::thread client([&] {
    while (asking) (void)http_get_body(site.nginx->port());
  });
  const auto fourth = site.deploy("v4", fed);
  asking = false;
  client.join();
  INFO(fourth.out << fourth.err);
  REQUIRE(fourth.exit_code == 0);
  CHECK_THAT(fourth.out,
             Catch::Contains("canary at 10% passed over the last 1.0s: slot green 0.0% 5xx over"));
  CHECK_THAT(fourth.out, !Catch::Contains("warning: the canary is judged by its probes only"));
  CHECK(site.serves("v4"));
}

TEST_CASE("canary command: turnout killed with SIGKILL during a hold is reconciled to 100% of a healthy slot",
          "[integration][deploy][nginx][canary][slow]") {
  DeploySite site;
  REQUIRE(site.deploy("v1", canary("1s")).exit_code == 0);
  DeployKnobs held = canary("60s");
  held.feed = true;  // nobody receives it (no agent): nginx must not mind
  site.write_pipeline("v2", held);
  BackgroundProcess run(
      {TURNOUT_BINARY, "run", "--dir", (site.dir / "ws").string(), "--data-dir", site.data()},
      site.dir / "run.log");
  const auto link = site.dir / "nginx-web" / "weights" / "current";
  INFO(run.output());
  REQUIRE(holding(site));
  // During the hold part of the traffic reaches the canary (10%: 200 requests all missing it is
  // a chance of 1 in 10^9).
  int canary = 0;
  for (int i = 0; i < 200; ++i) canary += http_get_body(site.nginx->port()) == "v2\n" ? 1 : 0;
  CHECK(canary > 0);
  run.stop(SIGKILL);
  // The live slot dies too, or stays: reconcile goes to whichever is healthy, the live one first.
  const bool live_dies = GENERATE(false, true);
  if (live_dies) {
    const auto blue = site.state().slots.at(steps::deploy::Slot::blue).process;
    REQUIRE(blue);
    ::kill(-blue->pid, SIGKILL);  // its session's group: the slot was started with setsid
    for (int i = 0; i < 500 && port_accepts(site.blue); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE_FALSE(port_accepts(site.blue));
  }

  const auto boot = site.turnout({"deploy", "bootup"});
  INFO(boot.out << boot.err);
  CHECK(boot.exit_code == 0);
  const std::string version = live_dies ? "v2\n" : "v1\n";
  if (live_dies) {
    CHECK_THAT(boot.out, Catch::Contains("was interrupted during canary; finished it: slot green is live"));
    CHECK(site.state().live == steps::deploy::Slot::green);
  } else {
    CHECK_THAT(
        boot.out,
        Catch::Contains("was interrupted during canary; undid it: slot green stopped, slot blue is live"));
    CHECK(site.state().live == steps::deploy::Slot::blue);
  }
  CHECK_FALSE(site.state().journal);
  std::error_code error;
  CHECK_FALSE(std::filesystem::is_symlink(link, error));  // no split left
  for (int i = 0; i < 50; ++i) REQUIRE(http_get_body(site.nginx->port()) == version);
}

TEST_CASE("canary command: deploy promote and abort give their order to the canary turnout run holds",
          "[integration][deploy][nginx][canary]") {
  DeploySite site;
  REQUIRE(site.deploy("v1", canary("1s")).exit_code == 0);
  const auto none = site.turnout({"deploy", "promote", "--app", "web"});
  CHECK(none.exit_code != 0);
  CHECK_THAT(none.err, Catch::Contains("turnout deploy promote: no canary in progress for app web (no deploy "
                                       "in progress)"));
  CHECK(site.turnout({"deploy", "abort", "--app", "nope"}).exit_code != 0);

  const bool promote = GENERATE(true, false);
  const std::string version = promote ? "v2" : "v3";
  site.write_pipeline(version, canary("60s"));  // only an order ends the hold within the test
  BackgroundProcess run(
      {TURNOUT_BINARY, "run", "--dir", (site.dir / "ws").string(), "--data-dir", site.data()},
      site.dir / "run.log");
  INFO(run.output());
  REQUIRE(holding(site));
  const auto status = site.turnout({"deploy", "status", "--app", "web"});
  CHECK_THAT(status.out, Catch::Contains("traffic blue 90%, green 10%"));
  CHECK_THAT(status.out, Catch::Contains("canary slot green at 10%, step 1 of 1 (then 100%)"));
  const auto order = site.turnout({"deploy", promote ? "promote" : "abort", "--app", "web"});
  INFO(order.out << order.err);
  CHECK(order.exit_code == 0);
  CHECK_THAT(order.out, Catch::Contains(std::string("the canary of app web took the order to ") +
                                        (promote ? "promote" : "abort")));
  REQUIRE(ended(run));
  if (promote) {
    CHECK_THAT(run.output(), Catch::Contains("canary at 10%: promoted by hand"));
    CHECK(site.serves("v2"));
    CHECK(site.state().live == steps::deploy::Slot::green);
  } else {
    CHECK_THAT(run.output(), Catch::Contains("canary at 10%: aborted by hand (turnout deploy abort); the "
                                             "canary's share is taken away, slot blue has all the traffic"));
    CHECK(site.serves("v1"));
    CHECK(site.state().live == steps::deploy::Slot::blue);
  }
  CHECK_FALSE(site.state().journal);
}

TEST_CASE(
    "canary command: through the agent a canary is judged by its feed, its weights shown in the API and "
    "/metrics, promoted and aborted with the token",
    "[integration][serve][deploy][nginx][api][canary][slow]") {
  AgentServer server("workers: 1\napi_token_env: TURNOUT_TEST_API_TOKEN\n", {"main"}, false);
  ::setenv("TURNOUT_TEST_API_TOKEN", "the-api-token", 1);
  DeploySite site;
  site.data_dir = server.data();
  server.start();
  const auto deploy = [&](const std::string& version, const std::string& hold) {
    DeployKnobs knobs = canary(hold);
    knobs.feed = true;
    const auto sha = server.app.commit(".turnout.yml", site.pipeline(version, knobs), version);
    const auto answer = server.push(sha, "deploy-" + version);
    REQUIRE(answer.status == 202);
    return answer.json()->getValue<int>("run");
  };
  const auto log_of = [&](int run) { return server.get("/api/runs/" + std::to_string(run) + "/log").body; };
  const int first = deploy("v1", "1s");
  REQUIRE(server.wait_until_ended(first)->getValue<std::string>("status") == "succeeded");

  // v2 with a client asking all along: the agent's feed gives the figures each step is judged by.
  std::atomic<bool> asking{true};
  std::thread client([&] {
    while (asking) (void)http_get_body(site.nginx->port());
  });
  const int second = deploy("v2", "1s");
  const auto judged = server.wait_until_ended(second);
  asking = false;
  client.join();
  INFO(log_of(second));
  REQUIRE(judged->getValue<std::string>("status") == "succeeded");
  CHECK_THAT(log_of(second),
             Catch::Contains("canary at 10% passed over the last 1.0s: slot green 0.0% 5xx over"));
  CHECK(site.serves("v2"));

  // v3 held long: seen from outside, then promoted through the API.
  const int third = deploy("v3", "60s");
  REQUIRE(holding_slot(site, "blue"));
  const auto app = server.get("/api/apps/web");
  INFO(app.body);
  CHECK_THAT(app.body, Catch::Contains(R"("weights":{"blue":10,"green":90})"));
  CHECK_THAT(app.body, Catch::Contains(R"("canary":{"slot":"blue","step":1,"steps":1,"weight":10})"));
  const auto metrics = server.get("/metrics").body;
  CHECK_THAT(metrics, Catch::Contains("turnout_traffic_weight{app=\"web\",slot=\"blue\"} 10\n"));
  CHECK_THAT(metrics, Catch::Contains("turnout_traffic_weight{app=\"web\",slot=\"green\"} 90\n"));
  CHECK(server.post_api("/api/apps/web/promote").status == 401);
  CHECK(server.post_api("/api/apps/nope/promote", "Bearer the-api-token").status == 404);
  const auto promoted = server.post_api("/api/apps/web/promote", "Bearer the-api-token");
  INFO(promoted.body);
  CHECK(promoted.status == 200);
  CHECK(promoted.json()->getValue<std::string>("result") == "promoted");
  CHECK(server.wait_until_ended(third)->getValue<std::string>("status") == "succeeded");
  CHECK(site.serves("v3"));
  CHECK_THAT(server.get("/api/apps/web").body,
             Catch::Contains(R"("weights":{"blue":100,"green":0},"canary":null)"));
  // Nothing in progress: an order is refused.
  CHECK(server.post_api("/api/apps/web/abort", "Bearer the-api-token").status == 409);

  // v4 held long, aborted through the API: the run fails with the reason, v3 keeps the traffic.
  const int fourth = deploy("v4", "60s");
  REQUIRE(holding_slot(site, "green"));
  const auto aborted = server.post_api("/api/apps/web/abort", "Bearer the-api-token");
  INFO(aborted.body);
  CHECK(aborted.status == 200);
  CHECK(server.wait_until_ended(fourth)->getValue<std::string>("status") == "failed");
  CHECK_THAT(log_of(fourth), Catch::Contains("canary at 10%: aborted by hand"));
  CHECK(site.serves("v3"));
}
