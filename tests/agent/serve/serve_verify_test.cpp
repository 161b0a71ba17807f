// Blue-green's verify judging real traffic (README, "verify"), end to end: a real agent receives
// nginx's traffic feed and hands it to the deploy stage of the runs it executes; `turnout run`
// alone has none and says so. Real nginx with the generated includes, the test app in the slots.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "tests/support/agent_server.h"
#include "tests/support/deploy_site.h"
#include "tests/support/http_get.h"
#include "util/udp_receiver.h"

using namespace turnout::test;

namespace {

// verify with max_error_rate on, nginx's feed on; `app_env` the test app's.
DeployKnobs judged(const std::string& verify_for, const std::string& app_env = "") {
  DeployKnobs knobs;
  knobs.feed = true;
  knobs.timing = "      verify: { for: " + verify_for +
                 ", max_error_rate: 1%, min_requests: 20 }\n"
                 "      drain: 100ms\n";
  knobs.app_env = app_env;
  return knobs;
}

// Asks nginx for `/` without pause while it lives; counts what went unanswered.
struct Client {
  std::atomic<bool> done{false};
  std::atomic<int> unanswered{0};
  std::atomic<int> errors{0};
  std::thread thread;
  explicit Client(int port)
      : thread([this, port] {
          while (!done) {
            int status = 0;
            http_get_body(port, "/", &status);
            if (status == 0) ++unanswered;
            if (status >= 500) ++errors;
          }
        }) {}
  ~Client() {
    done = true;
    thread.join();
  }
};

}  // namespace

TEST_CASE("serve: a pushed version that answers 500 to real requests goes back to the old slot in verify",
          "[integration][serve][deploy][nginx][feed]") {
  AgentServer server("workers: 1\n", {"main"}, false);
  DeploySite site;
  site.data_dir = server.data();
  server.start();
  const auto v1 =
      server.push(server.app.commit(".turnout.yml", site.pipeline("v1", judged("300ms")), "v1"), "deploy-v1");
  REQUIRE(v1.status == 202);
  REQUIRE(server.wait_until_ended(v1.json()->getValue<int>("run"))->getValue<std::string>("status") ==
          "succeeded");
  REQUIRE(site.serves("v1"));
  const std::string old_slot = turnout::steps::deploy::to_string(*site.state().live);

  Client client(site.nginx->port());
  const auto sha = server.app.commit(
      ".turnout.yml", site.pipeline("v2", judged("60s", "  APP_ERRORS: '20'\n")), "v2 breaks for its users");
  const auto v2 = server.push(sha, "deploy-v2");
  REQUIRE(v2.status == 202);
  const int id = v2.json()->getValue<int>("run");
  const auto run = server.wait_until_ended(id);
  const auto log = server.get("/api/runs/" + std::to_string(id) + "/log").body;
  INFO(log);
  CHECK(run->getValue<std::string>("status") == "failed");
  CHECK_THAT(log, Catch::Contains("% 5xx over "));
  CHECK_THAT(log, Catch::Contains(" since the switch (max 1%); traffic is back on slot " + old_slot));
  CHECK_THAT(log, !Catch::Contains("real traffic is not judged"));
  CHECK(site.serves("v1"));
  CHECK(turnout::steps::deploy::to_string(*site.state().live) == old_slot);
  CHECK(client.unanswered == 0);
}

TEST_CASE(
    "turnout run: verify has no feed until a deploy made the feed's endpoint, says why once, the probes "
    "deciding, then the run receives the feed itself",
    "[integration][deploy][nginx][feed]") {
  DeploySite site;
  // The first deploy with `feed: true` makes the data folder's endpoint: too late for its own run.
  const auto v1 = site.deploy("v1", judged("300ms", "  APP_ERRORS: '50'\n"));
  INFO(v1.out << v1.err);
  CHECK(v1.exit_code == 0);  // as before `max_error_rate`: its probes passed
  CHECK(site.serves("v1"));
  const std::string why =
      "verify: real traffic is not judged (max_error_rate 1%): no traffic feed in this process (`turnout "
      "run` "
      "receives it itself only when the data folder has a feed endpoint, made by a deploy with `feed: true`, "
      "and no agent holds its port); the probes alone decide";
  const auto first = v1.out.find(why);
  CHECK(first != std::string::npos);
  CHECK(v1.out.find(why, first + 1) == std::string::npos);
  // From then on `turnout run` receives the feed (no agent holds its port): verify has it.
  const auto v2 = site.deploy("v2", judged("500ms"));
  INFO(v2.out << v2.err);
  CHECK(v2.exit_code == 0);
  CHECK(site.serves("v2"));
  CHECK_THAT(v2.out, !Catch::Contains("real traffic is not judged"));
}

TEST_CASE("serve: with the agent's feed down verify degrades to the probes, says why once, nginx serves on",
          "[integration][serve][deploy][nginx][feed]") {
  // Another program holds the feed's port when the agent starts, then goes: the agent's feed is
  // off, and nginx's datagrams go to a closed port.
  auto squatter = turnout::util::UdpReceiver::start({}, [](auto, const auto&) {});
  REQUIRE(squatter.ok());
  const int port = squatter.value()->port();
  AgentServer server("workers: 1\n", {"main"}, false);
  server.dir.write("data/nginx/feed.endpoint", std::to_string(port) + " 0123456789abcdef0123456789abcdef\n");
  DeploySite site;
  site.data_dir = server.data();
  server.start();
  squatter.value().reset();

  const auto v1 =
      server.push(server.app.commit(".turnout.yml", site.pipeline("v1", judged("300ms")), "v1"), "deploy-v1");
  REQUIRE(v1.status == 202);
  REQUIRE(server.wait_until_ended(v1.json()->getValue<int>("run"))->getValue<std::string>("status") ==
          "succeeded");
  Client client(site.nginx->port());
  const auto v2 = server.push(
      server.app.commit(".turnout.yml", site.pipeline("v2", judged("1s", "  APP_ERRORS: '50'\n")), "v2"),
      "deploy-v2");
  REQUIRE(v2.status == 202);
  const int id = v2.json()->getValue<int>("run");
  const auto run = server.wait_until_ended(id);
  const auto log = server.get("/api/runs/" + std::to_string(id) + "/log").body;
  INFO(log);
  CHECK(run->getValue<std::string>("status") == "succeeded");  // as before `max_error_rate`
  CHECK(site.serves("v2"));
  const std::string why =
      "verify: real traffic is not judged (max_error_rate 1%): the agent's traffic feed is "
      "off: cannot bind UDP 127.0.0.1:" +
      std::to_string(port);
  const auto first = log.find(why);
  CHECK(first != std::string::npos);
  CHECK(log.find(why, first + 1) == std::string::npos);
  CHECK_THAT(log, Catch::Contains("the probes alone decide"));
  CHECK(client.unanswered == 0);  // nginx never waited on the feed
}
