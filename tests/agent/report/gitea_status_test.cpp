#include "agent/report/gitea_status.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

using namespace turnout::agent;

namespace {

const std::string kSha = "0123456789abcdef0123456789abcdef01234567";

Poco::JSON::Object::Ptr parse(const std::string& text) {
  return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

TEST_CASE("gitea status: Gitea's API path under the forge's address", "[unit][report][gitea]") {
  CHECK(gitea_statuses_url("https://git.example.com", "acme/site", kSha) ==
        "https://git.example.com/api/v1/repos/acme/site/statuses/" + kSha);
}

TEST_CASE("gitea status: GitHub's fields and states, running as pending", "[unit][report][gitea]") {
  const auto body =
      parse(gitea_status_body(CommitState::running, "turnout/app", "running as run 4", "http://ci/runs/4"));
  CHECK(body->getValue<std::string>("state") == "pending");
  CHECK(body->getValue<std::string>("context") == "turnout/app");
  CHECK(body->getValue<std::string>("description") == "running as run 4");
  CHECK(body->getValue<std::string>("target_url") == "http://ci/runs/4");
  CHECK(body->size() == 4);
  CHECK(parse(gitea_status_body(CommitState::cancelled, "c", "superseded", ""))
            ->getValue<std::string>("state") == "error");
  CHECK(parse(gitea_status_body(CommitState::failure, "c", "x", ""))->getValue<std::string>("state") ==
        "failure");
  CHECK_FALSE(parse(gitea_status_body(CommitState::success, "c", "x", ""))->has("target_url"));
}

TEST_CASE("gitea status: a long description is cut to one line's worth", "[unit][report][gitea]") {
  const auto body = parse(gitea_status_body(CommitState::failure, "c", std::string(400, 'd'), ""));
  CHECK(body->getValue<std::string>("description") == truncate_description(std::string(400, 'd'), 255));
}
