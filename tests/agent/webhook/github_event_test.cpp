#include "agent/webhook/github_event.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using turnout::agent::decide;
using turnout::agent::Decision;
using turnout::agent::EventKind;
using turnout::agent::parse_github_event;
using turnout::agent::ParsedEvent;
using turnout::agent::PushEvent;
using turnout::util::ErrorKind;

namespace {

namespace fs = std::filesystem;

const std::string kZeros(40, '0');
const std::vector<std::string> kDefaultBranches = {"main", "master"};

fs::path fixtures_dir() { return turnout::test::webhook_fixtures_dir(); }

// The fixtures ship with the repository: their absence is a broken checkout, not a skip.
bool have_fixtures() {
  REQUIRE(fs::is_directory(fixtures_dir() / "github"));
  return true;
}

// A fixture parsed with its folder's name as X-GitHub-Event, as GitHub would send it.
ParsedEvent parse_fixture(const std::string& relative) {
  const fs::path file = fixtures_dir() / "github" / relative;
  const std::string body = turnout::test::read_file(file);
  REQUIRE_FALSE(body.empty());
  auto parsed = parse_github_event(file.parent_path().filename().string(), body);
  INFO(relative << ": " << (parsed ? "" : parsed.error().message));
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

// A small push payload, for cases no fixture covers.
std::string push_body(const std::string& ref, const std::string& extra = "") {
  return R"({"ref":")" + ref + R"(","before":")" + kZeros +
         R"(","after":"0123456789abcdef0123456789abcdef01234567",)" +
         R"("repository":{"full_name":"acme/cafeteria"})" + extra + "}";
}

PushEvent push_to(const std::string& ref) {
  auto parsed = parse_github_event("push", push_body(ref));
  REQUIRE(parsed.ok());
  return parsed.value().push;
}

}  // namespace

TEST_CASE("every webhook fixture parses to its expected kind", "[unit][webhook]") {
  if (!have_fixtures()) return;
  const std::map<std::string, EventKind> expected = {
      {"push/woodpecker__push-main.json", EventKind::push},
      {"push/octokit__with-new-branch.payload.json", EventKind::push},
      {"push/octokit__tag-deleted.payload.json", EventKind::push},
      {"push/go-scm__branch-deleted.json", EventKind::push},
      {"ping/octokit__repo-hook.payload.json", EventKind::ping},
      {"pull_request/woodpecker__closed-merged.json", EventKind::other},
  };
  int seen = 0;
  for (const auto& file : fs::recursive_directory_iterator(fixtures_dir() / "github")) {
    if (!file.is_regular_file() || file.path().extension() != ".json") continue;
    const std::string relative = fs::relative(file.path(), fixtures_dir() / "github").generic_string();
    INFO(relative);
    // A fixture added to shared/ gets an expectation here too.
    REQUIRE(expected.count(relative) == 1);
    CHECK(parse_fixture(relative).kind == expected.at(relative));
    ++seen;
  }
  CHECK(seen == static_cast<int>(expected.size()));
}

TEST_CASE("a real push to main is read whole and accepted", "[unit][webhook]") {
  if (!have_fixtures()) return;
  const ParsedEvent event = parse_fixture("push/woodpecker__push-main.json");
  CHECK(event.kind == EventKind::push);
  CHECK(event.event == "push");
  CHECK(event.repository == "woodpecker-ci/woodpecker");
  const PushEvent& push = event.push;
  CHECK(push.repository_full_name == "woodpecker-ci/woodpecker");
  CHECK(push.clone_url == "https://github.com/woodpecker-ci/woodpecker.git");
  CHECK(push.ssh_url == "git@github.com:woodpecker-ci/woodpecker.git");
  CHECK(push.ref == "refs/heads/main");
  CHECK(push.branch == "main");
  CHECK(push.tag.empty());
  CHECK(push.before == "2f780193b136b72bfea4eeb640786a8c4450c7a2");
  CHECK(push.after == "366701fde727cb7a9e7f21eb88264f59f6f9b89c");
  CHECK(push.pusher == "6543");
  CHECK(push.head_commit_message ==
        "Fix multiline secrets replacer (#700)\n\n* Fix multiline secrets replacer\r\n\r\n* Add tests");
  CHECK(push.compare_url ==
        "https://github.com/woodpecker-ci/woodpecker/compare/2f780193b136...366701fde727");
  CHECK_FALSE(push.deleted);
  CHECK_FALSE(push.created);
  CHECK_FALSE(push.forced);
  const Decision decision = decide(push, kDefaultBranches);
  CHECK(decision.accepted);
  CHECK(decision.reason == "push to watched branch 'main'");
}

TEST_CASE("a real push creating master is read and accepted", "[unit][webhook]") {
  if (!have_fixtures()) return;
  const PushEvent push = parse_fixture("push/octokit__with-new-branch.payload.json").push;
  CHECK(push.repository_full_name == "Codertocat/Hello-World");
  CHECK(push.clone_url == "https://github.com/Codertocat/Hello-World.git");
  CHECK(push.ssh_url == "git@github.com:Codertocat/Hello-World.git");
  CHECK(push.ref == "refs/heads/master");
  CHECK(push.branch == "master");
  CHECK(push.tag.empty());
  CHECK(push.before == kZeros);
  CHECK(push.after == "6113728f27ae82c7b1a177c8d03f9e96e0adf246");
  CHECK(push.pusher == "Codertocat");
  CHECK(push.head_commit_message == "Initial commit");
  CHECK(push.compare_url ==
        "https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246");
  CHECK(push.created);
  CHECK_FALSE(push.deleted);
  CHECK_FALSE(push.forced);
  CHECK(decide(push, kDefaultBranches).accepted);
  CHECK_FALSE(decide(push, {"main"}).accepted);
}

TEST_CASE("a real tag deletion is a tag push, ignored", "[unit][webhook]") {
  if (!have_fixtures()) return;
  const PushEvent push = parse_fixture("push/octokit__tag-deleted.payload.json").push;
  CHECK(push.repository_full_name == "Codertocat/Hello-World");
  CHECK(push.ref == "refs/tags/simple-tag");
  CHECK(push.tag == "simple-tag");
  CHECK(push.branch.empty());
  CHECK(push.before == "6113728f27ae82c7b1a177c8d03f9e96e0adf246");
  CHECK(push.after == kZeros);
  CHECK(push.deleted);
  CHECK_FALSE(push.created);
  CHECK(push.head_commit_message.empty());  // head_commit is null
  CHECK(push.compare_url == "https://github.com/Codertocat/Hello-World/compare/6113728f27ae...000000000000");
  const Decision decision = decide(push, {"*"});
  CHECK_FALSE(decision.accepted);
  CHECK(decision.reason == "tag push (refs/tags/simple-tag)");
}

TEST_CASE("a real branch deletion is ignored even when the branch is watched", "[unit][webhook]") {
  if (!have_fixtures()) return;
  const PushEvent push = parse_fixture("push/go-scm__branch-deleted.json").push;
  CHECK(push.repository_full_name == "bradrydzewski/drone-test-go");
  CHECK(push.clone_url == "https://github.com/bradrydzewski/drone-test-go.git");
  CHECK(push.ref == "refs/heads/feature-branch");
  CHECK(push.branch == "feature-branch");
  CHECK(push.before == "d2b75aa7797ec26b088fa2dd527e9d2c052fcedd");
  CHECK(push.after == kZeros);
  CHECK(push.pusher == "bradrydzewski");
  CHECK(push.deleted);
  CHECK(push.head_commit_message.empty());
  const Decision decision = decide(push, {"feature-*"});
  CHECK_FALSE(decision.accepted);
  CHECK(decision.reason == "branch deleted (refs/heads/feature-branch)");
}

TEST_CASE("a real ping is read as a ping with its hook id and zen", "[unit][webhook]") {
  if (!have_fixtures()) return;
  const ParsedEvent event = parse_fixture("ping/octokit__repo-hook.payload.json");
  CHECK(event.kind == EventKind::ping);
  CHECK(event.event == "ping");
  CHECK(event.ping.hook_id == 109948940);
  CHECK(event.ping.zen == "Anything added dilutes everything else.");
  CHECK(event.repository == "Octocoders/Hello-World");
}

TEST_CASE("a real merged pull request is another event, named", "[unit][webhook]") {
  if (!have_fixtures()) return;
  const ParsedEvent event = parse_fixture("pull_request/woodpecker__closed-merged.json");
  CHECK(event.kind == EventKind::other);
  CHECK(event.event == "pull_request");
  CHECK(event.repository == "anbraten/test-ready-release-go");
  CHECK(event.push.ref.empty());
}

TEST_CASE("a fixture's body under another event name is that event", "[unit][webhook]") {
  if (!have_fixtures()) return;
  const std::string body =
      turnout::test::read_file(fixtures_dir() / "github/push/woodpecker__push-main.json");
  const auto parsed = parse_github_event("create", body);
  REQUIRE(parsed.ok());
  CHECK(parsed.value().kind == EventKind::other);
  CHECK(parsed.value().event == "create");
}

TEST_CASE("malformed JSON is invalid, with the parser's reason", "[unit][webhook]") {
  for (const std::string body : {"", "{", R"({"ref": "refs/heads/main",})", "{} trailing", "not json"}) {
    INFO(body);
    const auto parsed = parse_github_event("push", body);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == ErrorKind::invalid);
    CHECK_THAT(parsed.error().message, Contains("webhook body is not valid JSON: "));
    CHECK(parsed.error().message.size() > std::string("webhook body is not valid JSON: ").size());
  }
}

TEST_CASE("a deeply nested body is invalid, not a crash", "[unit][webhook]") {
  const std::string body = R"({"a":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  const auto parsed = parse_github_event("push", body);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().kind == ErrorKind::invalid);
  CHECK_THAT(parsed.error().message, Contains("webhook body is not valid JSON: "));
}

TEST_CASE("a body that is JSON but not an object is invalid", "[unit][webhook]") {
  for (const std::string body : {"[]", R"([{"ref": "refs/heads/main"}])"}) {
    INFO(body);
    const auto parsed = parse_github_event("push", body);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == ErrorKind::invalid);
    CHECK_THAT(parsed.error().message, Equals("webhook body must be a JSON object"));
  }
  // A bare scalar at the top is no object either.
  for (const std::string body : {"42", R"("push")", "null"}) {
    INFO(body);
    const auto parsed = parse_github_event("ping", body);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == ErrorKind::invalid);
  }
}

TEST_CASE("a push without a required field names the field", "[unit][webhook]") {
  const std::string after = R"("after":"0123456789abcdef0123456789abcdef01234567")";
  const std::map<std::string, std::string> cases = {
      {"ref", R"({)" + after + R"(,"repository":{"full_name":"acme/x"}})"},
      {"repository.full_name", R"({"ref":"refs/heads/main",)" + after + R"(,"repository":{}})"},
      {"after", R"({"ref":"refs/heads/main","repository":{"full_name":"acme/x"}})"},
  };
  for (const auto& [field, body] : cases) {
    INFO(body);
    const auto parsed = parse_github_event("push", body);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == ErrorKind::invalid);
    CHECK_THAT(parsed.error().message, Contains("push event is missing '" + field + "'"));
  }
  SECTION("a field of the wrong type counts as missing") {
    const auto parsed =
        parse_github_event("push", R"({"ref":1,)" + after + R"(,"repository":{"full_name":"a/b"}})");
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(parsed.error().message, Contains("'ref'"));
  }
  SECTION("repository that is not an object") {
    const auto parsed =
        parse_github_event("push", R"({"ref":"refs/heads/main",)" + after + R"(,"repository":"a/b"})");
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(parsed.error().message, Contains("'repository.full_name'"));
  }
}

TEST_CASE("a push whose after is not a commit id is invalid", "[unit][webhook]") {
  const auto parsed = parse_github_event(
      "push", R"json({"ref":"refs/heads/main","after":"$(reboot)","repository":{"full_name":"a/b"}})json");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().kind == ErrorKind::invalid);
  CHECK_THAT(parsed.error().message, Contains("'after' is not a commit id"));
}

TEST_CASE("a missing or odd X-GitHub-Event header is invalid", "[unit][webhook]") {
  const auto missing = parse_github_event("", "{}");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::invalid);
  CHECK(missing.error().message == "missing X-GitHub-Event header");
  const auto odd = parse_github_event("push\r\nX-Evil: 1", "{}");
  REQUIRE_FALSE(odd.ok());
  CHECK(odd.error().kind == ErrorKind::invalid);
}

TEST_CASE("a ping needs no hook id or zen", "[unit][webhook]") {
  const auto parsed = parse_github_event("ping", "{}");
  REQUIRE(parsed.ok());
  CHECK(parsed.value().kind == EventKind::ping);
  CHECK(parsed.value().ping.hook_id == 0);
  CHECK(parsed.value().ping.zen.empty());
  CHECK(parsed.value().repository.empty());
}

TEST_CASE("a hook id too large for Poco's conversions is bad input, not a throw", "[unit][webhook]") {
  const auto parsed = parse_github_event("ping", R"({"hook_id": 18446744073709551615})");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().kind == ErrorKind::invalid);
  CHECK_THAT(parsed.error().message, Contains("webhook body could not be read: "));
}

TEST_CASE("decide filters branches with glob patterns", "[unit][webhook]") {
  CHECK(decide(push_to("refs/heads/main"), kDefaultBranches).accepted);
  CHECK(decide(push_to("refs/heads/master"), kDefaultBranches).accepted);
  CHECK(decide(push_to("refs/heads/release/1.2"), {"release/*"}).accepted);
  CHECK(decide(push_to("refs/heads/v2"), {"v[0-9]"}).accepted);
  const Decision unwatched = decide(push_to("refs/heads/feature/x"), kDefaultBranches);
  CHECK_FALSE(unwatched.accepted);
  CHECK(unwatched.reason == "branch 'feature/x' is not watched (watched: main, master)");
  CHECK(decide(push_to("refs/heads/main"), {}).reason == "branch 'main' is not watched (watched: none)");
}

TEST_CASE("decide ignores refs that are neither branches nor tags", "[unit][webhook]") {
  const PushEvent push = push_to("refs/notes/commits");
  CHECK(push.branch.empty());
  CHECK(push.tag.empty());
  const Decision decision = decide(push, {"*"});
  CHECK_FALSE(decision.accepted);
  CHECK(decision.reason == "not a branch push (refs/notes/commits)");
}

TEST_CASE("decide ignores a new tag", "[unit][webhook]") {
  auto parsed = parse_github_event("push", push_body("refs/tags/v1.0", R"(,"created":true)"));
  REQUIRE(parsed.ok());
  CHECK(parsed.value().push.created);
  CHECK(decide(parsed.value().push, {"*"}).reason == "tag push (refs/tags/v1.0)");
}

TEST_CASE("a forced push is read as forced", "[unit][webhook]") {
  auto parsed = parse_github_event("push", push_body("refs/heads/main", R"(,"forced":true,"deleted":false)"));
  REQUIRE(parsed.ok());
  CHECK(parsed.value().push.forced);
  CHECK(decide(parsed.value().push, kDefaultBranches).accepted);
}
