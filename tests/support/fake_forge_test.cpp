// The forges' stand-ins answer as the forges document, so a test that passes against them
// exercises turnout's handling of those answers: checked here through turnout's own HTTP post.
#include "tests/support/fake_forge.h"

#include <catch2/catch.hpp>

#include "agent/report/gitea_status.h"
#include "agent/report/gitlab_status.h"
#include "agent/report/report_http.h"

namespace turnout::test {
namespace {

const std::string kSha = "0123456789abcdef0123456789abcdef01234567";

int post(const std::string& url, const std::string& body,
         std::vector<std::pair<std::string, std::string>> headers) {
  agent::HttpPost post;
  post.url = url;
  post.body = body;
  post.headers = std::move(headers);
  post.headers.emplace_back("User-Agent", "turnout/test");
  const auto reply = agent::post_json(post);
  REQUIRE(reply.ok());
  return reply.value().status;
}

}  // namespace

TEST_CASE("the Gitea stand-in answers Gitea's codes", "[unit][support][gitea]") {
  FakeForge fake(agent::Forge::gitea);
  const auto url = agent::gitea_statuses_url(fake.url(), "acme/site", kSha);
  const auto body = agent::gitea_status_body(agent::CommitState::success, "turnout/app", "passed", "");
  CHECK(post(url, body, {{"Authorization", "token " + kForgeToken}}) == 201);
  CHECK(post(url, body, {{"Authorization", "Bearer " + kForgeToken}}) == 401);
  CHECK(post(url, R"({"state":"running","context":"c"})", {{"Authorization", "token " + kForgeToken}}) ==
        422);
  CHECK(post(fake.url() + "/api/v1/repos/acme/statuses/" + kSha, body,
             {{"Authorization", "token " + kForgeToken}}) == 404);
  CHECK(fake.problems().size() == 2);
}

TEST_CASE("the GitLab stand-in answers GitLab's codes", "[unit][support][gitlab]") {
  FakeForge fake(agent::Forge::gitlab);
  const auto url = agent::gitlab_statuses_url(fake.url(), "group/sub/project", kSha);
  const std::vector<std::pair<std::string, std::string>> token = {{"PRIVATE-TOKEN", kForgeToken}};
  const auto pending = agent::gitlab_status_body(agent::CommitState::pending, "turnout/app", "queued", "");
  const auto running = agent::gitlab_status_body(agent::CommitState::running, "turnout/app", "running", "");
  CHECK(post(url, pending, {{"PRIVATE-TOKEN", "wrong"}}) == 401);
  CHECK(post(url, pending, token) == 201);
  // GitLab does not move a status still open to the state it is in.
  CHECK(post(url, pending, token) == 400);
  CHECK(post(url, running, token) == 201);
  CHECK(post(url, running, token) == 400);
  CHECK(post(url, agent::gitlab_status_body(agent::CommitState::success, "turnout/app", "passed", ""),
             token) == 201);
  // Finished: a new status of the same name starts afresh.
  CHECK(post(url, pending, token) == 201);
  CHECK(post(url, R"({"state":"pending","name":"x","description":")" + std::string(256, 'd') + "\"}",
             token) == 400);
  CHECK(post(url, R"({"state":"failure","name":"x"})", token) == 400);
  // The project's path with its slashes left bare is another endpoint.
  CHECK(post(fake.url() + "/api/v4/projects/group/sub/project/statuses/" + kSha, pending, token) == 404);
  CHECK(forge_states(fake.requests(), "turnout/app") ==
        std::vector<std::string>{"pending", "running", "success", "pending"});
}

}  // namespace turnout::test
