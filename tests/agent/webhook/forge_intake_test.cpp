// Deliveries of every forge through the intake as the route hands them over (read_delivery on the
// request's headers), against a real SQLite store: the shared payloads of each forge, each
// forge's check, and what is refused.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <sstream>

#include "agent/store/connection.h"
#include "agent/store/store.h"
#include "agent/webhook/delivery_headers.h"
#include "agent/webhook/gitea_signature.h"
#include "agent/webhook/signature.h"
#include "agent/webhook/webhook_intake.h"
#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"

using Catch::Matchers::Contains;
using namespace turnout::agent;
using turnout::test::TempDir;

namespace {

namespace fs = std::filesystem;

const std::string kSecret = "the agent's webhook secret";
const std::string kSha = "0123456789abcdef0123456789abcdef01234567";

using Headers = std::map<std::string, std::string>;

std::string fixture(const std::string& relative) {
  const auto body = turnout::test::read_file(turnout::test::webhook_fixtures_dir() / relative);
  REQUIRE_FALSE(body.empty());
  return body;
}

Headers github_headers(const std::string& event, const std::string& delivery, const std::string& body,
                       const std::string& secret = kSecret) {
  return {{"x-github-event", event},
          {"x-github-delivery", delivery},
          {"x-hub-signature-256", sign(secret, body)}};
}

// As Gitea sends them: its own, and GitHub's and Gogs' names besides (docs.gitea.com, "Webhooks").
Headers gitea_headers(const std::string& delivery, const std::string& body,
                      const std::string& secret = kSecret) {
  return {{"x-gitea-event", "push"},
          {"x-gitea-delivery", delivery},
          {"x-gitea-signature", sign_gitea(secret, body)},
          {"x-github-event", "push"},
          {"x-github-delivery", delivery},
          {"x-gogs-event", "push"},
          {"x-hub-signature-256", sign(secret, body)}};
}

Headers forgejo_headers(const std::string& delivery, const std::string& body,
                        const std::string& secret = kSecret) {
  auto headers = gitea_headers(delivery, body, secret);
  headers["x-forgejo-event"] = "push";
  headers["x-forgejo-delivery"] = delivery;
  headers["x-forgejo-signature"] = sign_gitea(secret, body);
  return headers;
}

Headers gitlab_headers(const std::string& hook, const std::string& delivery,
                       const std::string& token = kSecret) {
  return {{"x-gitlab-event", hook}, {"x-gitlab-event-uuid", delivery}, {"x-gitlab-token", token}};
}

RepoConfig repo(const std::string& name, Forge forge, std::vector<std::string> branches) {
  RepoConfig config;
  config.name = name;
  config.forge = forge;
  config.branches = std::move(branches);
  return config;
}

// `body` (a JSON object) with `key` of `parent` ("" = the top level) set to `value`.
std::string with(const std::string& body, const std::string& parent, const std::string& key,
                 const std::string& value) {
  auto object = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
  auto target = parent.empty() ? object : object->getObject(parent);
  target->set(key, value);
  std::ostringstream out;
  object->stringify(out);
  return out.str();
}

std::string without(const std::string& body, const std::string& key) {
  auto object = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
  object->remove(key);
  std::ostringstream out;
  object->stringify(out);
  return out.str();
}

struct Intake {
  TempDir dir;
  AgentConfig config;
  std::unique_ptr<Store> store;
  std::unique_ptr<WebhookIntake> intake;

  explicit Intake(std::vector<RepoConfig> repos, WebhookSecrets secrets = WebhookSecrets(kSecret)) {
    config.file = "agent.yml";
    config.repos = std::move(repos);
    auto opened = Store::open((dir / "data").string());
    REQUIRE(opened.ok());
    store = std::move(opened).value();
    intake = std::make_unique<WebhookIntake>(config, store->queue, std::move(secrets));
  }

  IntakeAnswer send(const Headers& headers, const std::string& body) {
    const auto request = read_delivery(
        [&](const std::string& name) {
          const auto found = headers.find(name);
          return found == headers.end() ? std::string() : found->second;
        },
        body);
    return intake->accept_webhook(request);
  }

  std::vector<RunRecord> runs() {
    auto listed = store->history.list(100);
    REQUIRE(listed.ok());
    return listed.value();
  }

  int deliveries(const std::string& forge = "") {
    detail::Connection connection(store->path());
    return static_cast<int>(connection.statement("SELECT COUNT(*) FROM deliveries WHERE forge = ? OR ? = ''")
                                .first_integer({forge, forge})
                                .value_or(0));
  }
};

std::vector<RepoConfig> every_forge() {
  return {repo("woodpecker-ci/woodpecker", Forge::github, {"main"}),
          repo("Codertocat/Hello-World", Forge::github, {"main", "master"}),
          repo("bradrydzewski/drone-test-go", Forge::github, {"*"}),
          repo("Test-CI/multi-line-secrets", Forge::gitea, {"main"}),
          repo("gitlab-org/hello-world", Forge::gitlab, {"master", "feature"}),
          repo("test/woodpecker", Forge::gitlab, {"*"})};
}

}  // namespace

TEST_CASE("forge intake: every shared payload of each forge gets its expected answer", "[unit][webhook]") {
  Intake t(every_forge());
  struct Case {
    std::string fixture;
    Headers headers;
    int status;
    std::string result, reason;
  };
  const auto gitea = fixture("gitea/push/woodpecker__push-main-3-commits.json");
  const auto github = [](const std::string& relative, const std::string& delivery) {
    return github_headers(fs::path(relative).parent_path().filename().string(), delivery,
                          fixture("github/" + relative));
  };
  const std::vector<Case> cases = {
      {"github/push/woodpecker__push-main.json", github("push/woodpecker__push-main.json", "g1"), 202,
       "queued", "push to watched branch 'main'"},
      {"github/push/octokit__with-new-branch.payload.json",
       github("push/octokit__with-new-branch.payload.json", "g2"), 202, "queued",
       "push to watched branch 'master'"},
      {"github/push/octokit__tag-deleted.payload.json",
       github("push/octokit__tag-deleted.payload.json", "g3"), 202, "ignored",
       "tag push (refs/tags/simple-tag)"},
      {"github/push/go-scm__branch-deleted.json", github("push/go-scm__branch-deleted.json", "g4"), 202,
       "ignored", "branch deleted (refs/heads/feature-branch)"},
      {"github/ping/octokit__repo-hook.payload.json", github("ping/octokit__repo-hook.payload.json", "g5"),
       200, "pong", "pong; but 'Octocoders/Hello-World' is not in agent.yml's repos: pushes will be ignored"},
      {"github/pull_request/woodpecker__closed-merged.json",
       github("pull_request/woodpecker__closed-merged.json", "g6"), 202, "ignored",
       "event 'pull_request' does not start runs (only push does)"},
      {"gitea/push/woodpecker__push-main-3-commits.json", gitea_headers("t1", gitea), 202, "queued",
       "push to watched branch 'main'"},
      {"gitlab/push/go-scm__push-master.json", gitlab_headers("Push Hook", "l1"), 202, "queued",
       "push to watched branch 'master'"},
      {"gitlab/push/go-scm__branch-deleted.json", gitlab_headers("Push Hook", "l2"), 202, "ignored",
       "branch deleted (refs/heads/feature)"},
      {"gitlab/tag_push/woodpecker__tag-created.json", gitlab_headers("Tag Push Hook", "l3"), 202, "ignored",
       "tag push (refs/tags/v22)"},
  };
  for (const auto& c : cases) {
    INFO(c.fixture);
    const auto answer = t.send(c.headers, fixture(c.fixture));
    CHECK(answer.status == c.status);
    CHECK(answer.result == c.result);
    CHECK(answer.reason == c.reason);
    CHECK(answer.run.has_value() == (c.result == "queued"));
  }
  const auto runs = t.runs();
  REQUIRE(runs.size() == 4);
  // Newest first: GitLab's push, Gitea's, then GitHub's two.
  CHECK(runs[0].repo_name == "gitlab-org/hello-world");
  CHECK(runs[0].repo == "https://gitlab.com/gitlab-org/hello-world.git");
  CHECK(runs[0].sha == "2adc9465c4edfc33834e173fe89436a7cb899a1d");
  CHECK(runs[0].branch == "master");
  CHECK(runs[1].repo_name == "Test-CI/multi-line-secrets");
  CHECK(runs[1].repo == "http://127.0.0.1:3000/Test-CI/multi-line-secrets.git");
  CHECK(runs[1].sha == "29be01c073851cf0db0c6a466e396b725a670453");
  CHECK(t.deliveries("github") == 6);
  CHECK(t.deliveries("gitea") == 1);
  CHECK(t.deliveries("gitlab") == 3);
}

TEST_CASE("forge intake: a delivery id is a duplicate only from the same forge", "[unit][webhook]") {
  Intake t(every_forge());
  const auto gitea = fixture("gitea/push/woodpecker__push-main-3-commits.json");
  const auto first = t.send(gitea_headers("same-id", gitea), gitea);
  REQUIRE(first.status == 202);
  const auto again = t.send(gitea_headers("same-id", gitea), gitea);
  CHECK(again.status == 200);
  CHECK(again.result == "duplicate");
  CHECK(again.run == first.run);
  // GitHub's own delivery of the same id is another delivery.
  const auto github_body = fixture("github/push/woodpecker__push-main.json");
  const auto github = t.send(github_headers("push", "same-id", github_body), github_body);
  CHECK(github.status == 202);
  CHECK(github.result == "queued");
  const auto gitlab_body = fixture("gitlab/push/go-scm__push-master.json");
  CHECK(t.send(gitlab_headers("Push Hook", "same-id"), gitlab_body).result == "queued");
  CHECK(t.runs().size() == 3);
}

TEST_CASE("forge intake: GitLab's delivery id falls back to Idempotency-Key", "[unit][webhook][gitlab]") {
  Intake t(every_forge());
  const auto body = fixture("gitlab/push/go-scm__push-master.json");
  const Headers headers = {
      {"x-gitlab-event", "Push Hook"}, {"idempotency-key", "k-1"}, {"x-gitlab-token", kSecret}};
  CHECK(t.send(headers, body).status == 202);
  CHECK(t.send(headers, body).result == "duplicate");
  const Headers none = {{"x-gitlab-event", "Push Hook"}, {"x-gitlab-token", kSecret}};
  const auto missing = t.send(none, body);
  CHECK(missing.status == 400);
  CHECK(missing.reason == "missing X-Gitlab-Event-UUID (or Idempotency-Key) header");
}

TEST_CASE("forge intake: Forgejo's headers, or Gitea's alone, reach a Forgejo repository",
          "[unit][webhook][forgejo]") {
  Intake t({repo("Test-CI/multi-line-secrets", Forge::forgejo, {"main"})});
  const auto body = fixture("gitea/push/woodpecker__push-main-3-commits.json");
  CHECK(t.send(forgejo_headers("f-1", body), body).status == 202);
  // A proxy that kept Gitea's headers only: Forgejo sends those too, so they are enough.
  CHECK(t.send(gitea_headers("f-2", body), body).status == 202);
  // Forgejo's own signature is the one checked when it is there: a good Gitea one does not help.
  auto forged = forgejo_headers("f-3", body);
  forged["x-forgejo-signature"] = sign_gitea("another secret", body);
  const auto refused = t.send(forged, body);
  CHECK(refused.status == 401);
  CHECK(refused.reason == "signature does not match the body: check the webhook secret");
  CHECK(t.runs().size() == 2);
  CHECK(t.deliveries("forgejo") == 1);
  CHECK(t.deliveries("gitea") == 1);
}

TEST_CASE("forge intake: headers of another forge than the repository's are refused", "[unit][webhook]") {
  Intake t(every_forge());
  SECTION("Forgejo's headers for a Gitea repository") {
    const auto body = fixture("gitea/push/woodpecker__push-main-3-commits.json");
    const auto answer = t.send(forgejo_headers("f-1", body), body);
    CHECK(answer.status == 400);
    CHECK(answer.reason ==
          "repository 'Test-CI/multi-line-secrets' is configured with forge: gitea, but this delivery came "
          "with "
          "Forgejo's headers (X-Forgejo-Event (or X-Gitea-Event)): set its `forge:` in agent.yml or check "
          "the webhook");
  }
  SECTION("a GitLab token and payload for a GitHub repository") {
    const auto body = with(fixture("gitlab/push/go-scm__push-master.json"), "project", "path_with_namespace",
                           "woodpecker-ci/woodpecker");
    const auto answer = t.send(gitlab_headers("Push Hook", "l-1"), body);
    CHECK(answer.status == 400);
    CHECK_THAT(answer.reason, Contains("'woodpecker-ci/woodpecker' is configured with forge: github"));
    CHECK_THAT(answer.reason, Contains("GitLab's headers (X-Gitlab-Event)"));
    CHECK_THAT(answer.reason, !Contains(kSecret));
  }
  SECTION("a GitLab token header added to GitHub's delivery") {
    const auto body = fixture("github/push/woodpecker__push-main.json");
    auto headers = github_headers("push", "g-1", body);
    headers["x-gitlab-token"] = kSecret;
    const auto answer = t.send(headers, body);
    CHECK(answer.status == 400);
    CHECK(answer.reason == "missing X-Gitlab-Event-UUID (or Idempotency-Key) header");
  }
  SECTION("a GitHub delivery for a Gitea repository") {
    const auto body = fixture("gitea/push/woodpecker__push-main-3-commits.json");
    const auto answer = t.send(github_headers("push", "g-1", body), body);
    CHECK(answer.status == 400);
    CHECK_THAT(answer.reason, Contains("configured with forge: gitea, but this delivery came with GitHub's"));
  }
  CHECK(t.runs().empty());
  CHECK(t.deliveries() == 0);
}

TEST_CASE("forge intake: bad Gitea signatures and GitLab tokens are 401 and change nothing",
          "[unit][webhook]") {
  Intake t(every_forge());
  const auto gitea = fixture("gitea/push/woodpecker__push-main-3-commits.json");
  const auto gitlab = fixture("gitlab/push/go-scm__push-master.json");
  SECTION("a GitHub-signed body sent with Gitea's headers") {
    const Headers headers = {{"x-gitea-event", "push"},
                             {"x-gitea-delivery", "t-1"},
                             {"x-hub-signature-256", sign(kSecret, gitea)}};
    const auto answer = t.send(headers, gitea);
    CHECK(answer.status == 401);
    CHECK(answer.reason == "missing X-Gitea-Signature header");
  }
  SECTION("a Gitea signature with GitHub's sha256= prefix") {
    auto headers = gitea_headers("t-1", gitea);
    headers["x-gitea-signature"] = "sha256=" + sign_gitea(kSecret, gitea);
    const auto answer = t.send(headers, gitea);
    CHECK(answer.status == 401);
    CHECK_THAT(answer.reason, Contains("without a prefix such as sha256="));
  }
  SECTION("a Gitea signature made with another secret") {
    const auto answer = t.send(gitea_headers("t-1", gitea, "another secret"), gitea);
    CHECK(answer.status == 401);
    CHECK(answer.reason == "signature does not match the body: check the webhook secret");
  }
  SECTION("a Gitea signature of another body") {
    auto headers = gitea_headers("t-1", gitea);
    const auto answer = t.send(headers, with(gitea, "", "ref", "refs/heads/other"));
    CHECK(answer.status == 401);
  }
  SECTION("a wrong GitLab token, and one of the wrong length") {
    for (const std::string& token :
         {std::string("the agent's webhook secreT"), kSecret + "!", kSecret.substr(0, 5)}) {
      const auto answer = t.send(gitlab_headers("Push Hook", "l-1", token), gitlab);
      CHECK(answer.status == 401);
      CHECK(answer.reason == "X-Gitlab-Token does not match the secret: check the webhook's secret token");
      CHECK_THAT(answer.reason, !Contains(token));
    }
  }
  SECTION("no GitLab token") {
    auto headers = gitlab_headers("Push Hook", "l-1");
    headers.erase("x-gitlab-token");
    const auto answer = t.send(headers, gitlab);
    CHECK(answer.status == 401);
    CHECK(answer.reason == "missing X-Gitlab-Token header");
  }
  CHECK(t.runs().empty());
  CHECK(t.deliveries() == 0);
}

TEST_CASE("forge intake: a payload missing ref or after is a 400 naming it", "[unit][webhook]") {
  Intake t(every_forge());
  const auto gitea = fixture("gitea/push/woodpecker__push-main-3-commits.json");
  const auto gitlab = fixture("gitlab/push/go-scm__push-master.json");
  for (const std::string field : {"ref", "after"}) {
    INFO(field);
    const auto gitea_body = without(gitea, field);
    const auto gitea_answer = t.send(gitea_headers("t-" + field, gitea_body), gitea_body);
    CHECK(gitea_answer.status == 400);
    CHECK(gitea_answer.reason == "push event is missing '" + field + "' (or it is not a string)");
    const auto gitlab_answer = t.send(gitlab_headers("Push Hook", "l-" + field), without(gitlab, field));
    CHECK(gitlab_answer.status == 400);
    CHECK(gitlab_answer.reason == "push event is missing '" + field + "' (or it is not a string)");
  }
  CHECK(t.runs().empty());
  CHECK(t.deliveries() == 0);
}

TEST_CASE("forge intake: a repository's own secret checks its deliveries, and only its", "[unit][webhook]") {
  WebhookSecrets secrets(kSecret);
  secrets.repos["test-ci/multi-line-secrets"] = "gitea's own secret";
  secrets.repos["gitlab-org/hello-world"] = "gitlab's own token";
  Intake t(every_forge(), secrets);
  const auto gitea = fixture("gitea/push/woodpecker__push-main-3-commits.json");
  const auto gitlab = fixture("gitlab/push/go-scm__push-master.json");

  const auto with_agent_secret = t.send(gitea_headers("t-1", gitea), gitea);
  CHECK(with_agent_secret.status == 401);
  CHECK_THAT(with_agent_secret.reason,
             Contains("repository 'Test-CI/multi-line-secrets''s own webhook secret"));
  CHECK(t.send(gitea_headers("t-2", gitea, "gitea's own secret"), gitea).status == 202);

  CHECK(t.send(gitlab_headers("Push Hook", "l-1"), gitlab).status == 401);
  // Another repository's own token is not this one's.
  const auto other = with(gitlab, "project", "path_with_namespace", "test/woodpecker");
  CHECK(t.send(gitlab_headers("Push Hook", "l-2", "gitlab's own token"), other).status == 401);
  CHECK(t.send(gitlab_headers("Push Hook", "l-3", "gitlab's own token"), gitlab).status == 202);
  CHECK(t.send(gitlab_headers("Push Hook", "l-4"), other).status == 202);
  CHECK(t.runs().size() == 3);
}

TEST_CASE("forge intake: without any secret nothing is checked, for every forge", "[unit][webhook]") {
  Intake t(every_forge(), WebhookSecrets(std::nullopt));
  const auto gitea = fixture("gitea/push/woodpecker__push-main-3-commits.json");
  auto headers = gitea_headers("t-1", gitea);
  headers.erase("x-gitea-signature");
  CHECK(t.send(headers, gitea).status == 202);
  auto gitlab = gitlab_headers("Push Hook", "l-1");
  gitlab.erase("x-gitlab-token");
  CHECK(t.send(gitlab, fixture("gitlab/push/go-scm__push-master.json")).status == 202);
}
