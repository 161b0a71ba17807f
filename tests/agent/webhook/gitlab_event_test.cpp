#include "agent/webhook/gitlab_event.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <string>

#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"

using turnout::agent::decide;
using turnout::agent::EventKind;
using turnout::agent::parse_gitlab_event;
using turnout::agent::ParsedEvent;
using turnout::util::ErrorKind;

namespace {

namespace fs = std::filesystem;

const std::string kSha = "0123456789abcdef0123456789abcdef01234567";

fs::path gitlab_dir() { return turnout::test::webhook_fixtures_dir() / "gitlab"; }

// The X-Gitlab-Event GitLab sends with a fixture, by its folder.
std::string hook_of(const std::string& relative) {
  return relative.rfind("tag_push/", 0) == 0 ? "Tag Push Hook" : "Push Hook";
}

ParsedEvent parse_fixture(const std::string& relative) {
  const std::string body = turnout::test::read_file(gitlab_dir() / relative);
  REQUIRE_FALSE(body.empty());
  auto parsed = parse_gitlab_event(hook_of(relative), body);
  INFO(relative << ": " << (parsed ? "" : parsed.error().message));
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

}  // namespace

TEST_CASE("every GitLab fixture parses, and is decided as expected", "[unit][webhook][gitlab]") {
  REQUIRE(fs::is_directory(gitlab_dir()));
  // What a repository watching main and master makes of each.
  const std::map<std::string, std::string> expected = {
      {"push/go-scm__push-master.json", "push to watched branch 'master'"},
      {"push/go-scm__branch-deleted.json", "branch deleted (refs/heads/feature)"},
      {"tag_push/woodpecker__tag-created.json", "tag push (refs/tags/v22)"},
  };
  int seen = 0;
  for (const auto& file : fs::recursive_directory_iterator(gitlab_dir())) {
    if (!file.is_regular_file() || file.path().extension() != ".json") continue;
    const std::string relative = fs::relative(file.path(), gitlab_dir()).generic_string();
    INFO(relative);
    // A fixture added to shared/ gets an expectation here too.
    REQUIRE(expected.count(relative) == 1);
    const auto event = parse_fixture(relative);
    CHECK(event.kind == EventKind::push);
    CHECK(decide(event.push, {"main", "master"}).reason == expected.at(relative));
    ++seen;
  }
  CHECK(seen == static_cast<int>(expected.size()));
}

TEST_CASE("a real GitLab push is read from project and checkout_sha", "[unit][webhook][gitlab]") {
  const auto event = parse_fixture("push/go-scm__push-master.json");
  CHECK(event.event == "Push Hook");
  CHECK(event.repository == "gitlab-org/hello-world");
  const auto& push = event.push;
  CHECK(push.repository_full_name == "gitlab-org/hello-world");
  CHECK(push.ref == "refs/heads/master");
  CHECK(push.branch == "master");
  CHECK(push.before == "9217710ce8c7e1eae7a5d1c45f6e43e1c769f866");
  CHECK(push.after == "2adc9465c4edfc33834e173fe89436a7cb899a1d");
  CHECK(push.clone_url == "https://gitlab.com/gitlab-org/hello-world.git");
  CHECK(push.ssh_url == "git@gitlab.com:gitlab-org/hello-world.git");
  CHECK(push.pusher == "sytses");
  CHECK_FALSE(push.deleted);
  CHECK(decide(push, {"master"}).accepted);
}

TEST_CASE("a real GitLab branch deletion has checkout_sha null and is ignored", "[unit][webhook][gitlab]") {
  const auto event = parse_fixture("push/go-scm__branch-deleted.json");
  CHECK(event.push.deleted);
  CHECK(event.push.after == std::string(40, '0'));
  CHECK_FALSE(decide(event.push, {"feature"}).accepted);
}

TEST_CASE("a real GitLab tag push names the tag's commit, not the tag object", "[unit][webhook][gitlab]") {
  const auto event = parse_fixture("tag_push/woodpecker__tag-created.json");
  CHECK(event.event == "Tag Push Hook");
  CHECK(event.repository == "test/woodpecker");
  CHECK(event.push.tag == "v22");
  CHECK(event.push.after == "16862e368d8ab812e48833b741dad720d6e2cb7f");
  CHECK(event.push.created);
}

TEST_CASE("GitLab's other hooks are other events, named", "[unit][webhook][gitlab]") {
  const auto merge = parse_gitlab_event(
      "Merge Request Hook", R"({"object_kind":"merge_request","project":{"path_with_namespace":"a/b"}})");
  REQUIRE(merge.ok());
  CHECK(merge.value().kind == EventKind::other);
  CHECK(merge.value().event == "Merge Request Hook");
  CHECK(merge.value().repository == "a/b");
}

TEST_CASE("a GitLab push without ref or after names the field", "[unit][webhook][gitlab]") {
  const std::string project = R"("project":{"path_with_namespace":"acme/cafeteria"})";
  const std::map<std::string, std::string> bodies = {
      {"ref", R"({"object_kind":"push","after":")" + kSha + R"(",)" + project + "}"},
      {"after",
       R"({"object_kind":"push","ref":"refs/heads/main","checkout_sha":")" + kSha + R"(",)" + project + "}"},
      {"project.path_with_namespace",
       R"({"object_kind":"push","ref":"refs/heads/main","after":")" + kSha + R"("})"},
  };
  for (const auto& [field, body] : bodies) {
    const auto parsed = parse_gitlab_event("Push Hook", body);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == ErrorKind::invalid);
    CHECK(parsed.error().message == "push event is missing '" + field + "' (or it is not a string)");
  }
}

TEST_CASE("a GitLab push whose body is another hook's, or whose header is odd, is invalid",
          "[unit][webhook][gitlab]") {
  const auto other =
      parse_gitlab_event("Push Hook", R"({"object_kind":"merge_request","ref":"refs/heads/main","after":")" +
                                          kSha + R"(","project":{"path_with_namespace":"a/b"}})");
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().message ==
        "X-Gitlab-Event is 'Push Hook' but the body's object_kind is 'merge_request'");
  const auto missing = parse_gitlab_event("", "{}");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "missing X-Gitlab-Event header");
  const auto odd = parse_gitlab_event("Push\r\nHook", "{}");
  REQUIRE_FALSE(odd.ok());
  CHECK(odd.error().message == "X-Gitlab-Event is not an event name");
  const auto bad_checkout = parse_gitlab_event(
      "Push Hook", R"({"ref":"refs/heads/main","after":")" + kSha +
                       R"(","checkout_sha":"HEAD","project":{"path_with_namespace":"a/b"}})");
  REQUIRE_FALSE(bad_checkout.ok());
  CHECK(bad_checkout.error().message == "push event's 'checkout_sha' is not a commit id");
}
