// The agent counts what nginx's feed tells of a deployed app, and shows it at /api/apps/APP and
// /metrics: real agent, real nginx with the generated includes, the test app in the slots.
#include "agent/serve/feed_listener.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "steps/deploy/feed_endpoint.h"
#include "tests/support/agent_server.h"
#include "tests/support/datagram.h"
#include "tests/support/deploy_site.h"
#include "tests/support/http_get.h"
#include "tests/support/temp_dir.h"
#include "util/udp_receiver.h"

using namespace turnout::test;

namespace {

// The live slot's `traffic` in GET /api/apps/web, once its window holds `requests` (10 s at most).
Poco::JSON::Object::Ptr live_traffic(AgentServer& server, int requests) {
  Poco::JSON::Object::Ptr traffic;
  for (int i = 0; i < 400; ++i) {
    traffic = server.get("/api/apps/web").json()->getObject("live")->getObject("traffic");
    if (traffic && traffic->getValue<int>("requests") >= requests) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return traffic;
}

}  // namespace

TEST_CASE("serve: the traffic feed counts a deployed app's requests per slot for the API and /metrics",
          "[integration][serve][deploy][nginx][api]") {
  AgentServer server("workers: 1\n", {"main"}, false);
  DeploySite site;
  site.data_dir = server.data();
  server.start();
  DeployKnobs knobs;
  knobs.feed = true;
  const auto sha = server.app.commit(".turnout.yml", site.pipeline("v1", knobs), "v1");
  const auto pushed = server.push(sha, "deploy-v1");
  REQUIRE(pushed.status == 202);
  const auto run = server.wait_until_ended(pushed.json()->getValue<int>("run"));
  INFO(server.get("/api/runs/" + std::to_string(run->getValue<int>("id")) + "/log").body);
  REQUIRE(run->getValue<std::string>("status") == "succeeded");
  REQUIRE(site.serves("v1"));  // one request already

  for (int i = 0; i < 29; ++i) CHECK(http_get_body(site.nginx->port()) == "v1\n");
  const auto traffic = live_traffic(server, 30);
  REQUIRE(traffic);
  CHECK(traffic->getValue<int>("requests") == 30);
  CHECK(traffic->getValue<int>("errors_5xx") == 0);
  CHECK(traffic->getValue<double>("window_seconds") == 60);
  CHECK(traffic->getObject("latency_seconds")->getValue<double>("p99") > 0);
  // The same minute in 10 s stretches, oldest first: together the window's 30 requests.
  const auto series = traffic->getObject("series");
  REQUIRE(series);
  CHECK(series->getValue<double>("step_seconds") == 10);
  const auto stretches = series->getArray("requests");
  REQUIRE(stretches->size() == 6);
  REQUIRE(series->getArray("errors_5xx")->size() == 6);
  int in_series = 0;
  for (std::size_t i = 0; i < stretches->size(); ++i) in_series += stretches->getElement<int>(i);
  CHECK(in_series == 30);
  CHECK(stretches->getElement<int>(5) > 0);  // the newest stretch holds the requests just sent
  const auto app = server.get("/api/apps/web").json();
  const std::string live = app->getObject("live")->getValue<std::string>("slot");
  // The idle slot has had no request: zeros, and no latency to read.
  const auto idle = app->getObject("idle")->getObject("traffic");
  REQUIRE(idle);
  CHECK(idle->getValue<int>("requests") == 0);
  CHECK(idle->getObject("latency_seconds")->isNull("p50"));

  // Someone else on the machine sends a line without the key, and garbage.
  const auto endpoint = turnout::steps::deploy::feed_endpoint(server.data().string()).value();
  REQUIRE(send_datagram(endpoint.port, "<190>Dec  7 06:09:35 turnout: turnout1 " + std::string(32, 'f') +
                                           " web " + live + " - 500 -"));
  REQUIRE(send_datagram(endpoint.port, "hello"));
  std::string metrics;
  for (int i = 0; i < 400; ++i) {
    metrics = server.get("/metrics").body;
    if (metrics.find("turnout_feed_datagrams_total{result=\"malformed\"} 1\n") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  const std::string labels = "{app=\"web\",slot=\"" + live + "\"}";
  for (const std::string& line :
       {std::string("turnout_feed_up 1\n"),
        std::string("turnout_feed_datagrams_total{result=\"accepted\"} 30\n"),
        std::string("turnout_feed_datagrams_total{result=\"forged\"} 1\n"),
        std::string("turnout_feed_datagrams_total{result=\"malformed\"} 1\n"),
        std::string("turnout_feed_dropped_total 0\n"), "turnout_feed_requests_total" + labels + " 30\n",
        "turnout_feed_responses_5xx_total" + labels + " 0\n",
        "turnout_feed_upstream_response_seconds_count" + labels + " 30\n",
        "turnout_feed_window_requests" + labels + " 30\n",
        "turnout_feed_upstream_response_seconds_bucket{app=\"web\",slot=\"" + live +
            "\",le=\"+Inf\"} 30\n"}) {
    INFO(line);
    CHECK_THAT(metrics, Catch::Contains(line));
  }
  CHECK_THAT(metrics, Catch::Contains("# TYPE turnout_feed_window_latency_seconds summary\n"));
  CHECK(server.get("/api/apps/web")
            .json()
            ->getObject("live")
            ->getObject("traffic")
            ->getValue<int>("requests") == 30);
}

TEST_CASE("serve: a feed port another program holds leaves the agent serving, with the feed off and why",
          "[integration][serve]") {
  // Another program took the port the data folder's feed endpoint names.
  auto squatter = turnout::util::UdpReceiver::start({}, [](auto, const auto&) {});
  REQUIRE(squatter.ok());
  AgentServer server("", {"main"}, false);
  server.dir.write("data/nginx/feed.endpoint",
                   std::to_string(squatter.value()->port()) + " 0123456789abcdef0123456789abcdef\n");
  server.start();
  CHECK(server.get("/healthz").status == 200);
  CHECK_THAT(server.get("/metrics").body, Catch::Contains("turnout_feed_up 0\n"));
  const auto log = turnout::test::read_file(server.dir / "serve.log");
  CHECK_THAT(log,
             Catch::Contains("traffic feed off (apps with `feed: true` are not counted): cannot bind UDP "
                             "127.0.0.1:" +
                             std::to_string(squatter.value()->port())));
  CHECK_THAT(log, Catch::Contains("remove " + (server.data() / "nginx" / "feed.endpoint").string()));
}
