// The CLI's way to the agent: agent.json, and one authorised POST, pinned over https.
#include "agent/client/agent_client.h"

#include <catch2/catch.hpp>

#include "agent/client/agent_presence.h"
#include "agent/http/http_server.h"
#include "tests/support/self_signed_cert.h"
#include "tests/support/sleeping_child.h"
#include "tests/support/temp_dir.h"

using namespace turnout::agent;
using namespace turnout::test;

namespace {

// Answers POST /echo with the Authorization header it got.
Router echo_router() {
  Router router;
  router.add("POST", "/echo", [](const HttpRequest& request) {
    return HttpResponse{200, request.header("authorization"), "text/plain"};
  });
  return router;
}

std::unique_ptr<HttpServer> start(const Router& router, std::optional<TlsFiles> tls = std::nullopt) {
  HttpServerOptions options;
  options.port = 0;
  options.tls = std::move(tls);
  auto server = HttpServer::start(options, router);
  INFO((server ? "" : server.error().message));
  REQUIRE(server.ok());
  return std::move(server.value());
}

}  // namespace

TEST_CASE("agent client: posts with the presence's token", "[unit][api]") {
  const auto router = echo_router();
  auto server = start(router);
  const AgentPresence agent{turnout::util::self_identity(),
                            "http://127.0.0.1:" + std::to_string(server->port()), "local-token", ""};
  const auto answer = post_to_agent(agent, "/echo");
  REQUIRE(answer);
  CHECK(answer.value().status == 200);
  CHECK(answer.value().body == "Bearer local-token");
}

TEST_CASE("agent client: over https it talks only to the pinned certificate", "[unit][api][tls]") {
  TempDir dir;
  const auto served = make_self_signed_cert(dir.path(), "agent");
  const auto other = make_self_signed_cert(dir.path(), "other");
  const auto router = echo_router();
  auto server = start(router, TlsFiles{served.cert.string(), served.key.string()});
  const std::string url = "https://127.0.0.1:" + std::to_string(server->port());

  const AgentPresence pinned{turnout::util::self_identity(), url, "t", served.cert.string()};
  const auto answer = post_to_agent(pinned, "/echo");
  INFO((answer ? "" : answer.error().message));
  REQUIRE(answer);
  CHECK(answer.value().body == "Bearer t");

  const AgentPresence wrong{turnout::util::self_identity(), url, "t", other.cert.string()};
  const auto refused = post_to_agent(wrong, "/echo");
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Catch::Contains("is not " + other.cert.string()));
}

TEST_CASE("agent client: an agent that does not answer is an error naming it", "[unit][api]") {
  const AgentPresence agent{turnout::util::self_identity(), "http://127.0.0.1:1", "t", ""};
  const auto answer = post_to_agent(agent, "/echo");
  REQUIRE_FALSE(answer);
  CHECK_THAT(answer.error().message, Catch::StartsWith("the agent at http://127.0.0.1:1 (pid "));
}

TEST_CASE("agent presence: found while its process lives, gone after", "[unit][api]") {
  TempDir dir;
  CHECK_FALSE(find_serving_agent(dir.path().string()));
  SleepingChild child;
  const auto identity = turnout::util::identify(child.pid());
  REQUIRE(identity);
  REQUIRE(announce_presence(dir.path().string(), {*identity, "http://127.0.0.1:9", make_local_token(), ""}));
  const auto found = find_serving_agent(dir.path().string());
  REQUIRE(found);
  CHECK(found->url == "http://127.0.0.1:9");
  CHECK(found->token.size() == 64);
  child.kill_and_reap();
  CHECK_FALSE(find_serving_agent(dir.path().string()));
  CHECK(make_local_token() != make_local_token());
}
