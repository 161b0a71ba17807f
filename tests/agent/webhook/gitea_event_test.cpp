#include "agent/webhook/gitea_event.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <string>

#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"

using Catch::Matchers::Contains;
using turnout::agent::decide;
using turnout::agent::EventKind;
using turnout::agent::parse_gitea_event;
using turnout::agent::ParsedEvent;
using turnout::util::ErrorKind;

namespace {

namespace fs = std::filesystem;

const std::string kZeros(40, '0');
const std::string kSha = "0123456789abcdef0123456789abcdef01234567";

fs::path gitea_dir() { return turnout::test::webhook_fixtures_dir() / "gitea"; }

ParsedEvent parse_fixture(const std::string& relative) {
  const fs::path file = gitea_dir() / relative;
  const std::string body = turnout::test::read_file(file);
  REQUIRE_FALSE(body.empty());
  auto parsed = parse_gitea_event("X-Gitea-Event", file.parent_path().filename().string(), body);
  INFO(relative << ": " << (parsed ? "" : parsed.error().message));
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

std::string push_body(const std::string& before, const std::string& after,
                      const std::string& ref = "refs/heads/main") {
  return R"({"ref":")" + ref + R"(","before":")" + before + R"(","after":")" + after +
         R"(","repository":{"full_name":"acme/cafeteria","clone_url":"https://git.example.com/acme/cafeteria.git"}})";
}

}  // namespace

TEST_CASE("every Gitea fixture parses to its expected kind", "[unit][webhook][gitea]") {
  REQUIRE(fs::is_directory(gitea_dir()));
  const std::map<std::string, EventKind> expected = {
      {"push/woodpecker__push-main-3-commits.json", EventKind::push},
  };
  int seen = 0;
  for (const auto& file : fs::recursive_directory_iterator(gitea_dir())) {
    if (!file.is_regular_file() || file.path().extension() != ".json") continue;
    const std::string relative = fs::relative(file.path(), gitea_dir()).generic_string();
    INFO(relative);
    // A fixture added to shared/ gets an expectation here too.
    REQUIRE(expected.count(relative) == 1);
    CHECK(parse_fixture(relative).kind == expected.at(relative));
    ++seen;
  }
  CHECK(seen == static_cast<int>(expected.size()));
}

TEST_CASE("a real Gitea push to main is read whole and accepted", "[unit][webhook][gitea]") {
  const auto event = parse_fixture("push/woodpecker__push-main-3-commits.json");
  CHECK(event.event == "push");
  CHECK(event.repository == "Test-CI/multi-line-secrets");
  const auto& push = event.push;
  CHECK(push.ref == "refs/heads/main");
  CHECK(push.branch == "main");
  CHECK(push.tag.empty());
  CHECK(push.before == "6efcf5b7c98f3e7a491675164b7a2e7acac27941");
  CHECK(push.after == "29be01c073851cf0db0c6a466e396b725a670453");
  CHECK(push.clone_url == "http://127.0.0.1:3000/Test-CI/multi-line-secrets.git");
  CHECK(push.ssh_url == "ssh://git@127.0.0.1:2200/Test-CI/multi-line-secrets.git");
  CHECK(push.pusher == "test-user");
  CHECK(push.head_commit_message == "add some text\n");
  CHECK(push.compare_url ==
        "http://127.0.0.1:3000/Test-CI/multi-line-secrets/compare/"
        "6efcf5b7c98f3e7a491675164b7a2e7acac27941...29be01c073851cf0db0c6a466e396b725a670453");
  CHECK_FALSE(push.deleted);
  CHECK_FALSE(push.created);
  const auto decision = decide(push, {"main"});
  CHECK(decision.accepted);
  CHECK(decision.reason == "push to watched branch 'main'");
}

TEST_CASE("a Gitea push of zeros is a deletion, one from zeros a creation", "[unit][webhook][gitea]") {
  auto deleted = parse_gitea_event("X-Gitea-Event", "push", push_body(kSha, kZeros));
  REQUIRE(deleted.ok());
  CHECK(deleted.value().push.deleted);
  CHECK_FALSE(decide(deleted.value().push, {"main"}).accepted);
  CHECK(decide(deleted.value().push, {"main"}).reason == "branch deleted (refs/heads/main)");
  auto created = parse_gitea_event("X-Gitea-Event", "push", push_body(kZeros, kSha));
  REQUIRE(created.ok());
  CHECK(created.value().push.created);
  CHECK(decide(created.value().push, {"main"}).accepted);
}

TEST_CASE("Gitea's other events are other, named, its tags are tag pushes", "[unit][webhook][gitea]") {
  auto created = parse_gitea_event("X-Gitea-Event", "create", R"({"ref":"v1","ref_type":"tag"})");
  REQUIRE(created.ok());
  CHECK(created.value().kind == EventKind::other);
  CHECK(created.value().event == "create");
  auto tag = parse_gitea_event("X-Gitea-Event", "push", push_body(kZeros, kSha, "refs/tags/v1"));
  REQUIRE(tag.ok());
  CHECK(decide(tag.value().push, {"main"}).reason == "tag push (refs/tags/v1)");
}

TEST_CASE("a Gitea push without ref or after names the field", "[unit][webhook][gitea]") {
  const std::map<std::string, std::string> bodies = {
      {"ref", R"({"after":")" + kSha + R"(","repository":{"full_name":"acme/cafeteria"}})"},
      {"after", R"({"ref":"refs/heads/main","repository":{"full_name":"acme/cafeteria"}})"},
      {"repository.full_name", R"({"ref":"refs/heads/main","after":")" + kSha + R"("})"},
  };
  for (const auto& [field, body] : bodies) {
    const auto parsed = parse_gitea_event("X-Gitea-Event", "push", body);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == ErrorKind::invalid);
    CHECK(parsed.error().message == "push event is missing '" + field + "' (or it is not a string)");
  }
  const auto not_sha = parse_gitea_event("X-Gitea-Event", "push", push_body(kZeros, "main"));
  REQUIRE_FALSE(not_sha.ok());
  CHECK(not_sha.error().message == "push event's 'after' is not a commit id");
}

TEST_CASE("a missing or odd Gitea event header is named", "[unit][webhook][gitea]") {
  const auto missing = parse_gitea_event("X-Forgejo-Event", "", push_body(kZeros, kSha));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "missing X-Forgejo-Event header");
  const auto odd = parse_gitea_event("X-Gitea-Event", "Push Hook", push_body(kZeros, kSha));
  REQUIRE_FALSE(odd.ok());
  CHECK(odd.error().message == "X-Gitea-Event is not an event name");
  const auto not_json = parse_gitea_event("X-Gitea-Event", "push", "{oops");
  REQUIRE_FALSE(not_json.ok());
  CHECK_THAT(not_json.error().message, Catch::StartsWith("webhook body is not valid JSON"));
}
