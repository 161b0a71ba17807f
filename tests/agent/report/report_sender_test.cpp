// The sender against a fake GitHub that checks every request: retries and their order, rate
// limits, the 401 told once, deployments and their statuses, the notifier's signature, TLS.
#include "agent/report/report_sender.h"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "agent/report/commit_status.h"
#include "agent/report/deployment_report.h"
#include "agent/store/store.h"
#include "agent/webhook/signature.h"
#include "tests/support/fake_github.h"
#include "tests/support/self_signed_cert.h"
#include "tests/support/temp_dir.h"

using namespace turnout::agent;
using namespace turnout::test;
using namespace std::chrono_literals;

namespace {

const std::string kSha = "0123456789abcdef0123456789abcdef01234567";
const std::string kNotifySecret = "a notify secret";

/// A store, an agent config whose one repository reports to `fake`, and a quick sender.
struct Setup {
  explicit Setup(const FakeGithub& fake, const std::string& ca_file = "") {
    dir.write("token", kGithubToken + "\n");
    dir.write("notify-secret", kNotifySecret + "\n");
    config.file = (dir / "agent.yml").string();
    config.data_dir = (dir / "data").string();
    RepoConfig repo;
    repo.name = "acme/app";
    GithubConfig github;
    github.api_url = fake.url();
    github.token = SecretRef{SecretRef::Source::file, (dir / "token").string(), "token_file"};
    repo.github = github;
    repo.notify.push_back(
        {fake.url() + "/notify/chat",
         SecretRef{SecretRef::Source::file, (dir / "notify-secret").string(), "secret_file"}});
    config.repos.push_back(repo);
    auto opened = Store::open(config.data_dir);
    if (!opened) FAIL(opened.error().message);
    store = std::move(opened).value();
    SenderOptions options;
    options.backoff.base = 10ms;
    options.poll = 50ms;
    options.ca_file = ca_file;
    sender = std::make_unique<ReportSender>(config, store->reports, &metrics, options);
  }

  std::int64_t status(const std::string& context, CommitState state, const std::string& description = "d") {
    return queue({"acme/app", "status " + kSha + " " + context, ReportKind::status,
                  statuses_url(config.repos[0].github->api_url, "acme/app", kSha),
                  status_body(state, context, description, "http://ci.test/runs/1"), std::nullopt, 1});
  }

  std::int64_t queue(const NewReport& report) {
    auto id = store->reports.enqueue_report(report, 100);
    if (!id) FAIL(id.error().message);
    return id.value();
  }

  std::vector<ReportRecord> reports() { return store->reports.reports_of_run(1).value(); }

  bool all_ended() {
    for (const auto& report : reports())
      if (report.state == ReportState::pending) return false;
    return true;
  }

  void wait_until_all_ended() {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (!all_ended()) {
      if (std::chrono::steady_clock::now() > deadline) FAIL("reports still pending");
      std::this_thread::sleep_for(20ms);
    }
  }

  TempDir dir;
  AgentConfig config;
  std::unique_ptr<Store> store;
  Metrics metrics;
  std::unique_ptr<ReportSender> sender;
};

/// Collects spdlog's lines while it lives.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("report sender: 5xx is tried again, and each context's statuses arrive in order",
          "[integration][report]") {
  FakeGithub fake;
  Setup setup(fake);
  fake.script({scripted(503), scripted(500), scripted(502)});
  setup.status("turnout/app", CommitState::pending);
  setup.status("turnout/app/build", CommitState::pending);
  setup.status("turnout/app", CommitState::success);
  setup.status("turnout/app/build", CommitState::success);
  setup.sender->start();
  setup.wait_until_all_ended();
  const auto requests = fake.requests();
  CHECK(requests.size() == 7);
  CHECK(fake.problems().empty());
  CHECK(states_of(requests, "turnout/app") == std::vector<std::string>{"pending", "success"});
  CHECK(states_of(requests, "turnout/app/build") == std::vector<std::string>{"pending", "success"});
  for (const auto& report : setup.reports()) CHECK(report.state == ReportState::sent);
  const auto metrics = setup.metrics.render(setup.store->counter.stats().value());
  CHECK_THAT(metrics, Catch::Contains("turnout_reports_total{result=\"failed\"} 3\n"));
  CHECK_THAT(metrics, Catch::Contains("turnout_reports_total{result=\"sent\"} 4\n"));
  CHECK_THAT(metrics, Catch::Contains("turnout_reports_pending 0\n"));
}

TEST_CASE("report sender: a 403 rate limit holds the repository's reports until it resets",
          "[integration][report]") {
  FakeGithub fake;
  Setup setup(fake);
  const auto reset = std::chrono::system_clock::now() + 2s;
  const auto reset_s = std::chrono::duration_cast<std::chrono::seconds>(reset.time_since_epoch()).count();
  fake.script(
      {ScriptedAnswer{403,
                      {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", std::to_string(reset_s)}},
                      R"({"message":"API rate limit exceeded"})"}});
  setup.status("turnout/app", CommitState::pending);
  setup.status("turnout/app/build", CommitState::pending);
  setup.sender->start();
  setup.wait_until_all_ended();
  const auto requests = fake.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].answered == 403);
  // Neither the same report nor another of the repository went out before the reset.
  CHECK(requests[1].received_at >= std::chrono::system_clock::time_point(std::chrono::seconds(reset_s)));
  CHECK(requests[2].received_at >= std::chrono::system_clock::time_point(std::chrono::seconds(reset_s)));
  CHECK(setup.reports()[0].attempts == 0);  // a rate limit is no failed attempt
  CHECK(fake.problems().empty());
}

TEST_CASE("report sender: a 429 with Retry-After is honoured", "[integration][report]") {
  FakeGithub fake;
  Setup setup(fake);
  fake.script({ScriptedAnswer{429, {{"retry-after", "1"}}, R"({"message":"slow down"})"}});
  setup.status("turnout/app", CommitState::success);
  const auto before = std::chrono::system_clock::now();
  setup.sender->start();
  setup.wait_until_all_ended();
  const auto requests = fake.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].answered == 429);
  CHECK(requests[1].answered == 201);
  CHECK(requests[1].received_at - requests[0].received_at >= 1s);
  CHECK(requests[0].received_at >= before);
}

TEST_CASE("report sender: a 401 is logged once per repository, with the scopes, and dropped",
          "[integration][report]") {
  FakeGithub fake;
  fake.accept_token("another token");
  Setup setup(fake);
  for (int i = 0; i < 3; ++i) setup.status("turnout/app/s" + std::to_string(i), CommitState::pending);
  LogCapture log;
  setup.sender->start();
  setup.wait_until_all_ended();
  setup.sender->stop();
  CHECK(fake.requests().size() == 3);
  for (const auto& report : setup.reports()) CHECK(report.state == ReportState::dropped);
  CHECK(count(log.text(), "401 Unauthorized") == 1);
  CHECK_THAT(log.text(), Catch::Contains("repo:status") && Catch::Contains("repo_deployment"));
  CHECK_THAT(setup.metrics.render(setup.store->counter.stats().value()),
             Catch::Contains("turnout_reports_total{result=\"dropped\"} 3\n"));
}

TEST_CASE("report sender: a 422 is dropped and does not hold back the next status", "[integration][report]") {
  FakeGithub fake;
  Setup setup(fake);
  fake.script({ScriptedAnswer{422, {}, R"({"message":"Validation Failed"})"}});
  setup.status("turnout/app", CommitState::pending);
  setup.status("turnout/app", CommitState::success);
  setup.sender->start();
  setup.wait_until_all_ended();
  const auto reports = setup.reports();
  REQUIRE(reports.size() == 2);
  CHECK(reports[0].state == ReportState::dropped);
  CHECK_THAT(reports[0].last_error, Catch::Contains("Validation Failed"));
  CHECK(reports[1].state == ReportState::sent);
}

TEST_CASE("report sender: a deployment status goes to the id GitHub gave its deployment",
          "[integration][report]") {
  FakeGithub fake;
  Setup setup(fake);
  const auto& api = setup.config.repos[0].github->api_url;
  const std::string key = "deployment 1 deploy";
  const auto deployment =
      setup.queue({"acme/app", key, ReportKind::deployment, deployments_url(api, "acme/app"),
                   deployment_body(kSha, "production", "run 1"), std::nullopt, 1});
  for (const auto state : {DeploymentState::in_progress, DeploymentState::success}) {
    setup.queue({"acme/app", key, ReportKind::deployment_status, deployment_statuses_url(api, "acme/app"),
                 deployment_status_body(state, "deploy", "http://ci.test/runs/1", "http://ci.test"),
                 deployment, 1});
  }
  fake.script({scripted(502)});  // the deployment fails once: its statuses wait for it
  setup.sender->start();
  setup.wait_until_all_ended();
  const auto created = fake.requests_to("/repos/acme/app/deployments");
  REQUIRE(created.size() == 4);
  CHECK(created[1].answered == 201);
  const auto reports = setup.reports();
  REQUIRE(reports[0].result_id);
  const auto path = "/repos/acme/app/deployments/" + std::to_string(*reports[0].result_id) + "/statuses";
  CHECK(created[2].path == path);
  CHECK(created[2].field("state") == "in_progress");
  CHECK(created[3].path == path);
  CHECK(created[3].field("state") == "success");
  CHECK(created[1].field("ref") == kSha);
  CHECK(fake.problems().empty());
}

TEST_CASE("report sender: the statuses of a deployment GitHub refused are dropped", "[integration][report]") {
  FakeGithub fake;
  Setup setup(fake);
  const auto& api = setup.config.repos[0].github->api_url;
  const auto deployment =
      setup.queue({"acme/app", "k", ReportKind::deployment, deployments_url(api, "acme/app"),
                   deployment_body(kSha, "production", "run 1"), std::nullopt, 1});
  setup.queue({"acme/app", "k", ReportKind::deployment_status, deployment_statuses_url(api, "acme/app"),
               deployment_status_body(DeploymentState::in_progress, "deploy", "", ""), deployment, 1});
  fake.script({ScriptedAnswer{422, {}, R"({"message":"Conflict: Commit status checks failed"})"}});
  setup.sender->start();
  setup.wait_until_all_ended();
  CHECK(fake.requests().size() == 1);
  const auto reports = setup.reports();
  CHECK(reports[1].state == ReportState::dropped);
  CHECK_THAT(reports[1].last_error, Catch::Contains("was not created"));
}

TEST_CASE("report sender: a notification is signed the way webhooks are checked", "[integration][report]") {
  FakeGithub fake;
  Setup setup(fake);
  const std::string body = R"({"run":1,"status":"succeeded"})";
  setup.queue({"acme/app", "notify", ReportKind::notify, fake.url() + "/notify/chat", body, std::nullopt, 1});
  setup.sender->start();
  setup.wait_until_all_ended();
  const auto received = fake.requests_to("/notify/chat");
  REQUIRE(received.size() == 1);
  CHECK(received[0].body == body);
  const auto signature = received[0].headers.at("x-turnout-signature-256");
  CHECK(verify_signature(kNotifySecret, received[0].body, signature) == SignatureCheck::ok);
  CHECK(verify_signature("another secret", received[0].body, signature) == SignatureCheck::mismatch);
}

TEST_CASE("report sender: HTTPS verifies GitHub's certificate", "[integration][report][tls]") {
  TempDir certs;
  const auto cert = make_self_signed_cert(certs.path());
  FakeGithub fake(std::make_pair(cert.cert, cert.key));
  SECTION("trusted: sent") {
    Setup setup(fake, cert.cert.string());
    setup.status("turnout/app", CommitState::success);
    setup.sender->start();
    setup.wait_until_all_ended();
    CHECK(setup.reports()[0].state == ReportState::sent);
    CHECK(fake.requests().size() == 1);
  }
  SECTION("not in the system's store: never sent, tried again later") {
    Setup setup(fake);
    setup.status("turnout/app", CommitState::success);
    CHECK(setup.sender->drain(std::chrono::steady_clock::now()) == 1);
    const auto report = setup.reports()[0];
    CHECK(report.state == ReportState::pending);
    CHECK(report.attempts == 1);
    CHECK(fake.requests().empty());
  }
}

TEST_CASE("report sender: a token file gone by the time of sending drops the report",
          "[integration][report]") {
  FakeGithub fake;
  Setup setup(fake);
  std::filesystem::remove(setup.dir / "token");
  setup.status("turnout/app", CommitState::success);
  setup.sender->drain(std::chrono::steady_clock::now() + 30s);
  CHECK(setup.reports()[0].state == ReportState::dropped);
  CHECK_THAT(setup.reports()[0].last_error, Catch::Contains("token"));
  CHECK(fake.requests().empty());
}
