#include "agent/report/gitlab_status.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

using namespace turnout::agent;

namespace {

const std::string kSha = "0123456789abcdef0123456789abcdef01234567";

Poco::JSON::Object::Ptr parse(const std::string& text) {
  return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

std::size_t characters(const std::string& text) {
  std::size_t count = 0;
  for (const char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

}  // namespace

TEST_CASE("gitlab status: the project's path is URL-encoded in the API's path", "[unit][report][gitlab]") {
  CHECK(gitlab_statuses_url("https://gitlab.example.com", "group/sub/my.project", kSha) ==
        "https://gitlab.example.com/api/v4/projects/group%2Fsub%2Fmy.project/statuses/" + kSha);
  CHECK(url_encode_path("a b/c~d_e-f") == "a%20b%2Fc~d_e-f");
}

TEST_CASE("gitlab status: GitLab's states and `name`", "[unit][report][gitlab]") {
  CHECK(std::string(gitlab_state(CommitState::pending)) == "pending");
  CHECK(std::string(gitlab_state(CommitState::running)) == "running");
  CHECK(std::string(gitlab_state(CommitState::success)) == "success");
  CHECK(std::string(gitlab_state(CommitState::failure)) == "failed");
  CHECK(std::string(gitlab_state(CommitState::error)) == "failed");
  CHECK(std::string(gitlab_state(CommitState::cancelled)) == "canceled");
  const auto body = parse(
      gitlab_status_body(CommitState::running, "turnout/app/build", "build running", "http://ci/runs/7"));
  CHECK(body->getValue<std::string>("state") == "running");
  CHECK(body->getValue<std::string>("name") == "turnout/app/build");
  CHECK_FALSE(body->has("context"));
  CHECK(body->getValue<std::string>("description") == "build running");
  CHECK(body->getValue<std::string>("target_url") == "http://ci/runs/7");
}

TEST_CASE("gitlab status: description and link kept within 255 characters", "[unit][report][gitlab]") {
  const auto long_text = std::string(300, 'x') + "\xC3\xA9";
  const auto body = parse(gitlab_status_body(CommitState::failure, "c", long_text,
                                             "https://ci.example.com/" + std::string(240, 'r')));
  CHECK(characters(body->getValue<std::string>("description")) == 255);
  // A link cut short leads nowhere: left out rather than cut.
  CHECK_FALSE(body->has("target_url"));
  const std::string fits = "https://ci.example.com/runs/" + std::string(255 - 28, '1');
  CHECK(
      parse(gitlab_status_body(CommitState::success, "c", "ok", fits))->getValue<std::string>("target_url") ==
      fits);
}
