// The agent deploys what is pushed to it, shows its apps at /api/apps and rolls one back
// through POST /api/apps/{app}/rollback: real agent, real nginx, the test app in the slots.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "tests/support/agent_server.h"
#include "tests/support/deploy_site.h"
#include "tests/support/fake_github.h"
#include "tests/support/slot_string.h"

using namespace turnout::test;

namespace {

// The value of the series `name` with labels `labels` in a /metrics text; nullopt when absent.
std::optional<double> series_value(const std::string& metrics, const std::string& series) {
  const auto at = metrics.find("\n" + series + " ");
  if (at == std::string::npos) return std::nullopt;
  return std::stod(metrics.substr(at + series.size() + 2));
}

// Pushes `version` of the deploy pipeline and waits for its run to end; returns the sha.
std::string deploy_through_agent(AgentServer& server, const DeploySite& site, const std::string& version) {
  const auto sha = server.app.commit(".turnout.yml", site.pipeline(version), version);
  const auto answer = server.push(sha, "deploy-" + version);
  REQUIRE(answer.status == 202);
  const auto run = server.wait_until_ended(answer.json()->getValue<int>("run"));
  INFO(server.get("/api/runs/" + std::to_string(run->getValue<int>("id")) + "/log").body);
  REQUIRE(run->getValue<std::string>("status") == "succeeded");
  return sha;
}

}  // namespace

TEST_CASE("serve: pushed deploys are shown at /api/apps and rolled back through the API",
          "[integration][serve][deploy][nginx][api]") {
  AgentServer server("workers: 1\napi_token_env: TURNOUT_TEST_API_TOKEN\n", {"main"}, false);
  ::setenv("TURNOUT_TEST_API_TOKEN", "the-api-token", 1);
  FakeGithub github;
  server.dir.write("token", kGithubToken + "\n");
  server.repo_extra = "github: {api_url: " + github.url() +
                      ", token_file: " + (server.dir / "token").string() + ", statuses: false}\n";
  DeploySite site;
  site.data_dir = server.data();
  server.start();
  const auto v1 = deploy_through_agent(server, site, "v1");
  const auto v2 = deploy_through_agent(server, site, "v2");
  CHECK(site.serves("v2"));

  const auto all = server.get("/api/apps");
  CHECK(all.status == 200);
  CHECK_THAT(all.body, Catch::StartsWith("[{\"app\":\"web\""));
  const auto app = server.get("/api/apps/web");
  REQUIRE(app.status == 200);
  const auto live = app.json()->getObject("live");
  CHECK(live->getValue<std::string>("slot") == "green");
  CHECK(live->getValue<std::string>("sha") == v2);
  CHECK(live->getValue<bool>("healthy"));
  CHECK(app.json()->getValue<int>("proxy_port") == site.green);
  CHECK(server.get("/api/apps/nope").status == 404);
  CHECK(server.get("/api/apps/..").status == 404);
  // An alert on both slots dead needs a series per slot: both run and answer, green is live.
  const auto metrics = server.get("/metrics").body;
  CHECK_THAT(metrics, Catch::Contains("turnout_slot_live{app=\"web\",slot=\"green\"} 1\n"));
  CHECK_THAT(metrics, Catch::Contains("turnout_slot_live{app=\"web\",slot=\"blue\"} 0\n"));
  CHECK_THAT(metrics, Catch::Contains("turnout_slot_alive{app=\"web\",slot=\"blue\"} 1\n"));
  CHECK_THAT(metrics, Catch::Contains("turnout_slot_healthy{app=\"web\",slot=\"green\"} 1\n"));
  // Both slots run the test app: each has its CPU and memory, summed over its session.
  for (const std::string slot : {"blue", "green"}) {
    INFO(slot);
    const std::string labels = "{app=\"web\",slot=\"" + slot + "\"}";
    CHECK(series_value(metrics, "turnout_slot_resident_memory_bytes" + labels).value_or(0) > 1024 * 1024);
    CHECK(series_value(metrics, "turnout_slot_cpu_seconds_total" + labels).has_value());
  }

  CHECK(server.post_api("/api/apps/web/rollback").status == 401);
  CHECK(server.post_api("/api/apps/web/rollback", "Bearer wrong").status == 403);
  CHECK(server.post_api("/api/apps/nope/rollback", "Bearer the-api-token").status == 404);
  CHECK(site.serves("v2"));  // refused writes changed nothing

  const auto rollback = server.post_api("/api/apps/web/rollback", "Bearer the-api-token");
  INFO(rollback.body);
  CHECK(rollback.status == 200);
  CHECK(rollback.json()->getValue<std::string>("result") == "rolled back");
  CHECK(rollback.json()->getValue<std::string>("live") == "blue");
  CHECK(site.serves("v1"));
  const auto after = server.get("/api/apps/web").json();
  CHECK(after->getObject("live")->getValue<std::string>("sha") == v1);
  // Reported as a successful deployment of the older commit.
  const bool reported = github.wait_for([&](const std::vector<GithubRequest>& requests) {
    bool created = false, succeeded = false;
    for (const auto& request : requests) {
      if (request.path == "/repos/woodpecker-ci/woodpecker/deployments" && request.field("ref") == v1 &&
          request.field("description").find("rollback") != std::string::npos)
        created = true;
      if (created && request.path.find("/statuses") != std::string::npos &&
          request.field("state") == "success")
        succeeded = true;
    }
    return succeeded;
  });
  CHECK(reported);
  CHECK(github.problems().empty());

  // Rolled back to blue, the previous slot is green: a second rollback is a roll forward.
  CHECK(server.post_api("/api/apps/web/rollback", "Bearer the-api-token").status == 200);
  CHECK(site.serves("v2"));

  // A switch by hand, as `turnout deploy switch`: to a named slot, refused whole when unnamed.
  CHECK(server.post_api("/api/apps/web/switch?slot=blue").status == 401);
  CHECK(server.post_api("/api/apps/web/switch", "Bearer the-api-token").status == 400);
  CHECK(server.post_api("/api/apps/web/switch?slot=purple", "Bearer the-api-token").status == 400);
  CHECK(server.post_api("/api/apps/nope/switch?slot=blue", "Bearer the-api-token").status == 404);
  CHECK(site.serves("v2"));
  const auto switched = server.post_api("/api/apps/web/switch?slot=blue", "Bearer the-api-token");
  INFO(switched.body);
  CHECK(switched.status == 200);
  CHECK(switched.json()->getValue<std::string>("result") == "switched");
  CHECK(switched.json()->getValue<std::string>("live") == "blue");
  CHECK(site.serves("v1"));
  CHECK(server.post_api("/api/apps/web/switch?slot=green", "Bearer the-api-token").status == 200);
  CHECK(site.serves("v2"));

  // The live slot dies: /metrics says so at the next scrape.
  const int pid = server.get("/api/apps/web").json()->getObject("live")->getValue<int>("pid");
  REQUIRE(::kill(pid, SIGKILL) == 0);
  bool dead = false;
  for (int i = 0; i < 200 && !dead; ++i) {
    dead = server.get("/metrics").body.find("turnout_slot_alive{app=\"web\",slot=\"green\"} 0\n") !=
           std::string::npos;
    if (!dead) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  CHECK(dead);
  const auto after_kill = server.get("/metrics").body;
  CHECK_THAT(after_kill, Catch::Contains("turnout_slot_healthy{app=\"web\",slot=\"green\"} 0\n"));
  // A slot that no longer runs has no CPU or memory series; the other still has its own.
  CHECK_FALSE(
      series_value(after_kill, "turnout_slot_resident_memory_bytes{app=\"web\",slot=\"green\"}").has_value());
  CHECK_FALSE(
      series_value(after_kill, "turnout_slot_cpu_seconds_total{app=\"web\",slot=\"green\"}").has_value());
  CHECK(
      series_value(after_kill, "turnout_slot_resident_memory_bytes{app=\"web\",slot=\"blue\"}").value_or(0) >
      0);
}

TEST_CASE("serve: a rollback by hand during a deploy answers at once with what the deploy is doing",
          "[integration][serve][deploy][nginx][api]") {
  AgentServer server("workers: 1\napi_token_env: TURNOUT_TEST_API_TOKEN\n", {"main"}, false);
  ::setenv("TURNOUT_TEST_API_TOKEN", "the-api-token", 1);
  DeploySite site;
  site.data_dir = server.data();
  server.start();
  deploy_through_agent(server, site, "v1");
  deploy_through_agent(server, site, "v2");

  // v3 answers its health checks only after 20 s: its deploy holds the app's lock in the health
  // phase meanwhile (300 probes of 100 ms: it does get there).
  DeployKnobs slow;
  slow.app_env = "  APP_HEALTH: after:20\n";
  const auto sha = server.app.commit(".turnout.yml", site.pipeline("v3", slow), "v3");
  const auto pushed = server.push(sha, "deploy-v3");
  REQUIRE(pushed.status == 202);
  const int run = pushed.json()->getValue<int>("run");
  const auto in_health = [&] {
    const auto state = site.state();
    return state.journal && state.journal->phase == turnout::steps::deploy::Phase::health;
  };
  for (int i = 0; i < 1200 && !in_health(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(in_health());
  const auto journal = *site.state().journal;
  REQUIRE(journal.run_id == std::to_string(run));
  const std::string busy = "deploy of web (run " + std::to_string(run) + ") in progress since " +
                           journal.started_at + ", phase health";

  const auto cli = site.turnout({"deploy", "rollback", "--app", "web"});
  CHECK(cli.exit_code != 0);
  CHECK_THAT(cli.err, Catch::Contains("turnout deploy rollback: " + busy));
  const auto cli_switch = site.turnout({"deploy", "switch", "blue", "--app", "web"});
  CHECK(cli_switch.exit_code != 0);
  CHECK_THAT(cli_switch.err, Catch::Contains("turnout deploy switch: " + busy));
  const auto api = server.post_api("/api/apps/web/rollback", "Bearer the-api-token");
  INFO(api.body);
  CHECK(api.status == 409);
  CHECK(api.json()->getValue<std::string>("reason") == busy);
  // Answered while the deploy still waits for health: none of them waited for its lock.
  CHECK(in_health());
  CHECK(site.serves("v2"));

  const auto ended = server.wait_until_ended(run);
  CHECK(ended->getValue<std::string>("status") == "succeeded");
  CHECK(site.serves("v3"));
  CHECK(site.state().previous ==
        turnout::steps::deploy::Slot::green);  // the refused rollbacks changed nothing
}
