// The webhook intake against a real SQLite store, without HTTP.
#include "agent/webhook/webhook_intake.h"

#include <Poco/Data/Session.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "agent/store/connection.h"
#include "agent/store/store.h"
#include "agent/webhook/signature.h"
#include "tests/support/temp_dir.h"

using namespace turnout::agent;
using turnout::test::TempDir;

namespace {

namespace fs = std::filesystem;

const std::string kSecret = "It's a Secret to Everybody";
const std::string kSha = "0123456789abcdef0123456789abcdef01234567";

std::string push_body(const std::string& repo, const std::string& ref) {
  return R"({"ref":")" + ref + R"(","before":")" + std::string(40, '0') + R"(","after":")" + kSha +
         R"(","repository":{"full_name":")" + repo + R"(","clone_url":"https://github.com/)" + repo +
         R"(.git"}})";
}

struct Intake {
  TempDir dir;
  AgentConfig config;
  std::unique_ptr<Store> store;
  std::unique_ptr<WebhookIntake> intake;

  explicit Intake(std::optional<std::string> secret = kSecret) {
    config.file = "agent.yml";
    config.public_url = "https://ci.example.com/";
    RepoConfig repo;
    repo.name = "Acme/Cafeteria";
    repo.branches = {"main"};
    config.repos.push_back(repo);
    auto opened = Store::open((dir / "data").string());
    REQUIRE(opened.ok());
    store = std::move(opened).value();
    intake = std::make_unique<WebhookIntake>(config, store->queue, std::move(secret));
  }

  IntakeAnswer send(const std::string& event, const std::string& body, const std::string& delivery = "d-1") {
    return intake->accept_webhook({event, delivery, sign(kSecret, body), body});
  }

  std::vector<RunRecord> runs() {
    auto listed = store->history.list(100);
    REQUIRE(listed.ok());
    return listed.value();
  }

  int deliveries(const std::string& result) {
    detail::Connection connection(store->path());
    return static_cast<int>(connection.statement("SELECT COUNT(*) FROM deliveries WHERE result = ?")
                                .first_integer({result})
                                .value_or(0));
  }
};

}  // namespace

TEST_CASE("intake: an accepted push is recorded with its queued run", "[unit][webhook]") {
  Intake t;
  const auto answer = t.send("push", push_body("acme/cafeteria", "refs/heads/main"));
  CHECK(answer.status == 202);
  CHECK(answer.result == "queued");
  CHECK(answer.reason == "push to watched branch 'main'");
  REQUIRE(answer.run.has_value());
  CHECK(answer.url == "https://ci.example.com/runs/" + std::to_string(*answer.run));
  const auto runs = t.runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].id == *answer.run);
  CHECK(runs[0].status == RunStatus::queued);
  CHECK(runs[0].trigger == turnout::agent::Trigger::webhook);
  CHECK(runs[0].repo == "https://github.com/acme/cafeteria.git");
  CHECK(runs[0].ref == "refs/heads/main");
  CHECK(runs[0].branch == "main");
  CHECK(runs[0].sha == kSha);
  CHECK(t.deliveries("queued") == 1);
}

TEST_CASE("intake: the config's url wins over the payload's clone_url", "[unit][webhook]") {
  Intake t;
  t.config.repos[0].url = "git@github.com:acme/cafeteria.git";
  t.intake->reload(t.config, WebhookSecrets(kSecret));
  REQUIRE(t.send("push", push_body("acme/cafeteria", "refs/heads/main")).status == 202);
  CHECK(t.runs().at(0).repo == "git@github.com:acme/cafeteria.git");
}

TEST_CASE("intake: a repeated delivery id is a duplicate until its run ends", "[unit][webhook]") {
  Intake t;
  const auto body = push_body("acme/cafeteria", "refs/heads/main");
  const auto first = t.send("push", body);
  REQUIRE(first.status == 202);

  const auto again = t.send("push", body);
  CHECK(again.status == 200);
  CHECK(again.result == "duplicate");
  CHECK(again.run == first.run);
  REQUIRE(t.runs().size() == 1);

  REQUIRE(t.store->history.start_run(*first.run, "app").ok());
  CHECK(t.send("push", body).result == "duplicate");
  REQUIRE(t.store->history.finish_run(*first.run, RunStatus::succeeded, "").ok());

  const auto redelivered = t.send("push", body);
  CHECK(redelivered.status == 202);
  CHECK(redelivered.result == "queued");
  REQUIRE(redelivered.run.has_value());
  CHECK(*redelivered.run != *first.run);
  const auto runs = t.runs();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].trigger == turnout::agent::Trigger::redelivery);

  // Another delivery of the same push is GitHub's own doing, not a redelivery.
  CHECK(t.send("push", body, "d-2").status == 202);
  CHECK(t.runs().at(0).trigger == turnout::agent::Trigger::webhook);
}

TEST_CASE("intake: signatures are checked before anything else", "[unit][webhook]") {
  Intake t;
  const auto body = push_body("acme/cafeteria", "refs/heads/main");
  const auto missing = t.intake->accept_webhook({"push", "d-1", "", body});
  CHECK(missing.status == 401);
  CHECK(missing.reason == describe(SignatureCheck::missing));
  const auto wrong = t.intake->accept_webhook({"push", "d-1", sign("another secret", body), body});
  CHECK(wrong.status == 401);
  CHECK(wrong.reason == describe(SignatureCheck::mismatch));
  CHECK(t.intake->accept_webhook({"push", "d-1", "sha1=" + std::string(40, 'a'), body}).status == 401);
  CHECK(t.runs().empty());
  CHECK(t.deliveries("ignored") == 0);
}

TEST_CASE("intake: without a secret nothing is checked", "[unit][webhook]") {
  Intake t(std::nullopt);
  const auto answer =
      t.intake->accept_webhook({"push", "d-1", "", push_body("acme/cafeteria", "refs/heads/main")});
  CHECK(answer.status == 202);
}

TEST_CASE("intake: bad requests are 400 with the reason and change nothing", "[unit][webhook]") {
  Intake t;
  const auto malformed = t.send("push", "{not json");
  CHECK(malformed.status == 400);
  CHECK_FALSE(malformed.reason.empty());
  const auto no_delivery = t.send("push", push_body("acme/cafeteria", "refs/heads/main"), "");
  CHECK(no_delivery.status == 400);
  CHECK(no_delivery.reason == "missing X-GitHub-Delivery header");
  CHECK(t.runs().empty());
}

TEST_CASE("intake: refusals are recorded for /deliveries, without their body", "[unit][webhook][dashboard]") {
  Intake t;
  t.intake = std::make_unique<WebhookIntake>(t.config, t.store->queue, std::optional<std::string>(kSecret),
                                             nullptr, nullptr, &t.store->deliveries);
  const auto body = push_body("acme/cafeteria", "refs/heads/main");
  CHECK(t.intake->accept_webhook({"push", "bad-sig", sign("another secret", body), body}).status == 401);
  CHECK(t.send("push", "{not json", "bad-json").status == 400);
  CHECK(t.send("push", body, "good").status == 202);
  REQUIRE(t.store->deliveries.flush());
  const auto page = t.store->deliveries.page(std::nullopt, 10).value();
  REQUIRE(page.deliveries.size() == 3);
  // The refusals are written after the accepted push that came last: by the log's own thread.
  CHECK(page.deliveries[0].delivery_id == "bad-json");
  CHECK(page.deliveries[0].status == 400);
  CHECK(page.deliveries[1].delivery_id == "bad-sig");
  CHECK(page.deliveries[1].status == 401);
  CHECK(page.deliveries[1].result == "rejected");
  CHECK(page.deliveries[1].reason == describe(SignatureCheck::mismatch));
  CHECK(page.deliveries[1].repo.empty());
  CHECK(page.deliveries[2].delivery_id == "good");
  CHECK(page.deliveries[2].result == "queued");
}

TEST_CASE("intake: what does not start a run is ignored and recorded", "[unit][webhook]") {
  Intake t;
  const auto ping = t.send("ping", R"({"zen":"Keep it logically awesome.","hook_id":1})");
  CHECK(ping.status == 200);
  CHECK(ping.result == "pong");
  struct Case {
    std::string event, body, reason;
  };
  const std::vector<Case> cases = {
      {"pull_request", R"({"action":"opened","repository":{"full_name":"acme/cafeteria"}})",
       "event 'pull_request'"},
      {"push", push_body("acme/other", "refs/heads/main"), "repository 'acme/other' is not configured"},
      {"push", push_body("acme/cafeteria", "refs/heads/feature"), "branch 'feature' is not watched"},
      {"push", push_body("acme/cafeteria", "refs/tags/v1"), "tag"},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    const auto answer = t.send(c.event, c.body);
    CHECK(answer.status == 202);
    CHECK(answer.result == "ignored");
    CHECK_THAT(answer.reason, Catch::Contains(c.reason));
    CHECK_FALSE(answer.run.has_value());
  }
  CHECK(t.runs().empty());
  CHECK(t.deliveries("ignored") == static_cast<int>(cases.size()));
  CHECK(t.deliveries("pong") == 1);
}

TEST_CASE("intake: a store that cannot write is a 500 without details", "[unit][webhook]") {
  Intake t;
  {
    detail::Connection connection(t.store->path());
    connection.exec("DROP TABLE deliveries");
  }
  const auto answer = t.send("push", push_body("acme/cafeteria", "refs/heads/main"));
  CHECK(answer.status == 500);
  CHECK(answer.result == "error");
  CHECK_THAT(answer.reason, !Catch::Contains(kSecret));
  CHECK(t.runs().empty());
}

TEST_CASE("intake: a NUL or another control character in an id, a ref or a name is a 400",
          "[unit][webhook]") {
  Intake t;
  const auto nul_ref = t.send("push", push_body("acme/cafeteria", "refs/heads/main\\u0000evil"));
  CHECK(nul_ref.status == 400);
  CHECK(nul_ref.reason == "ref holds a control character (such as U+0000): refused");
  const auto nul_repo = t.send("push", push_body("acme/cafeteria\\u0000x", "refs/heads/main"));
  CHECK(nul_repo.status == 400);
  CHECK_THAT(nul_repo.reason, Catch::StartsWith("the repository's name holds a control character"));
  const auto escape_ref = t.send("push", push_body("acme/cafeteria", "refs/heads/\\u001b[2Jmain"));
  CHECK(escape_ref.status == 400);
  for (const std::string& id : {std::string("d-\x1b[31m", 7), std::string("d-1\0", 4), std::string("d\a")}) {
    const auto answer = t.send("push", push_body("acme/cafeteria", "refs/heads/main"), id);
    CHECK(answer.status == 400);
    CHECK(answer.reason == "X-GitHub-Delivery holds a control character (such as U+0000): refused");
  }
  CHECK(t.runs().empty());
  CHECK(t.deliveries("queued") + t.deliveries("ignored") == 0);
  // A delivery id is refused before it could be cut at the NUL and collide with "d-1".
  CHECK(t.send("push", push_body("acme/cafeteria", "refs/heads/main"), "d-1").status == 202);
}

TEST_CASE("intake: a form-encoded delivery says to send JSON, and changes nothing", "[unit][webhook]") {
  Intake t;
  const std::string body = "payload=%7B%22ref%22%3A%22refs%2Fheads%2Fmain%22%7D";
  IntakeRequest request{"push", "d-1", sign(kSecret, body), body};
  request.content_type = "application/x-www-form-urlencoded";
  const auto answer = t.intake->accept_webhook(request);
  CHECK(answer.status == 400);
  CHECK_THAT(answer.reason, Catch::Contains("set the webhook's content type to application/json"));
  CHECK(t.runs().empty());
  // Unsigned, the same delivery learns nothing but that its signature is wrong.
  request.signature = sign("not the secret", body);
  CHECK(t.intake->accept_webhook(request).status == 401);
}

TEST_CASE("intake: a delivery signed only with SHA-1 is told SHA-1 is refused", "[unit][webhook]") {
  Intake t;
  IntakeRequest request{"push", "d-1", "", push_body("acme/cafeteria", "refs/heads/main")};
  request.sha1_only = true;
  const auto answer = t.intake->accept_webhook(request);
  CHECK(answer.status == 401);
  CHECK_THAT(answer.reason, Catch::Contains("SHA-1 signatures are refused"));
  CHECK_THAT(answer.reason, Catch::Contains("X-Hub-Signature-256"));
  CHECK(t.runs().empty());
}

TEST_CASE("intake: a ping for a repository agent.yml does not list says its pushes will be ignored",
          "[unit][webhook]") {
  Intake t;
  const auto configured = t.send("ping", R"({"hook_id":1,"repository":{"full_name":"acme/cafeteria"}})");
  CHECK(configured.status == 200);
  CHECK(configured.reason == "ping received");
  const auto other = t.send("ping", R"({"hook_id":1,"repository":{"full_name":"you/cafeteria"}})", "d-2");
  CHECK(other.status == 200);
  CHECK(other.result == "pong");
  CHECK(other.reason == "pong; but 'you/cafeteria' is not in agent.yml's repos: pushes will be ignored");
}
