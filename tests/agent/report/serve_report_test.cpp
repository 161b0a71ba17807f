// Reporting through the real agent: real webhooks, a real git repository, real steps, and a
// fake GitHub that checks every request it gets. Waits are for states, never timed.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <string>
#include <thread>

#include "agent/webhook/signature.h"
#include "tests/support/agent_server.h"
#include "tests/support/fake_github.h"

using namespace turnout::test;

namespace {

namespace fs = std::filesystem;

const std::string kNotifySecret = "the chat bridge's secret";

// build (one step) and test (step `unit` exiting `code`), or with a gate the build waits for.
std::string two_stages(int code, const std::string& build = "echo building") {
  return "name: app\nstages:\n  - name: build\n    steps:\n      - name: compile\n        run: " + build +
         "\n  - name: test\n    steps:\n      - name: unit\n        run: exit " + std::to_string(code) + "\n";
}

std::string gate_wait(const fs::path& gate) {
  return "\"for i in $(seq 1200); do [ -e '" + gate.string() + "' ] && exit 0; sleep 0.1; done; exit 1\"";
}

// The github: and notify: items of the watched repository, reporting to `fake`.
std::string reporting_to(const FakeGithub& fake, const fs::path& token_file) {
  return "github: {api_url: " + fake.url() + ", token_file: " + token_file.string() +
         "}\nnotify:\n  - url: " + fake.url() +
         "/notify/chat\n    secret_file: " + (token_file.parent_path() / "notify-secret").string() + "\n";
}

void configure(AgentServer& server, const FakeGithub& fake) {
  server.dir.write("token", kGithubToken + "\n");
  server.dir.write("notify-secret", kNotifySecret + "\n");
  server.repo_extra = reporting_to(fake, server.dir / "token");
}

int run_id(const Answer& answer) {
  INFO(answer.body);
  REQUIRE(answer.status == 202);
  return answer.json()->getValue<int>("run");
}

std::string status(const Poco::JSON::Object::Ptr& run) { return run->getValue<std::string>("status"); }

// Waits until `context` on `sha` has a final (not pending) status accepted.
void wait_for_final(const FakeGithub& fake, AgentServer& server, const std::string& context,
                    const std::string& sha) {
  const bool done = fake.wait_for(
      [&](const auto& requests) {
        const auto states = states_of(requests, context, sha);
        return !states.empty() && states.back() != "pending";
      },
      std::chrono::seconds(120));
  if (!done) FAIL("no final status for " << context << " on " << sha << "\n" << server.process->output());
}

std::int64_t pending_reports(AgentServer& server) {
  const auto metrics = server.get("/metrics").body;
  const std::string name = "\nturnout_reports_pending ";
  const auto at = metrics.find(name);
  REQUIRE(at != std::string::npos);
  return std::stoll(metrics.substr(at + name.size()));
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("serve reports: a passing and a failing run, stage by stage", "[integration][serve][report]") {
  FakeGithub fake;
  AgentServer server("", {"main"}, false);
  configure(server, fake);
  const auto passing = server.app.commit(".turnout.yml", two_stages(0), "app");
  server.start();
  const int first = run_id(server.push(passing, "d-1"));
  CHECK(status(server.wait_until_ended(first)) == "succeeded");
  wait_for_final(fake, server, "turnout/app", passing);
  auto requests = fake.requests();
  INFO(server.process->output());
  // The first push of a repository: its pipeline's name is not known before it starts.
  CHECK(states_of(requests, "turnout/app", passing) == std::vector<std::string>{"pending", "success"});
  CHECK(states_of(requests, "turnout/app/build", passing) == std::vector<std::string>{"pending", "success"});
  CHECK(states_of(requests, "turnout/app/test", passing) == std::vector<std::string>{"pending", "success"});
  const auto run_statuses = statuses_for(requests, "turnout/app", passing);
  CHECK_THAT(run_statuses.back().field("description"), Catch::StartsWith("passed in "));
  CHECK(run_statuses.back().field("target_url") == "http://ci.test/runs/" + std::to_string(first));
  CHECK_THAT(statuses_for(requests, "turnout/app/build", passing).back().field("description"),
             Catch::StartsWith("build passed in "));

  const auto failing = server.app.commit(".turnout.yml", two_stages(3), "break the tests");
  const int second = run_id(server.push(failing, "d-2"));
  CHECK(status(server.wait_until_ended(second)) == "failed");
  wait_for_final(fake, server, "turnout/app", failing);
  requests = fake.requests();
  // Started, failed; queued before that (the name is known now) unless a worker took the run
  // before the intake said so (the superseded test sees "queued" for certain).
  const auto run_states = states_of(requests, "turnout/app", failing);
  CHECK((run_states == std::vector<std::string>{"pending", "pending", "failure"} ||
         run_states == std::vector<std::string>{"pending", "failure"}));
  const auto failing_statuses = statuses_for(requests, "turnout/app", failing);
  REQUIRE(failing_statuses.size() >= 2);
  CHECK(failing_statuses[failing_statuses.size() - 2].field("description") ==
        "running as run " + std::to_string(second));
  if (failing_statuses.size() == 3)
    CHECK(failing_statuses.front().field("description") == "queued as run " + std::to_string(second));
  CHECK(states_of(requests, "turnout/app/build", failing) == std::vector<std::string>{"pending", "success"});
  CHECK(states_of(requests, "turnout/app/test", failing) == std::vector<std::string>{"pending", "failure"});
  CHECK(statuses_for(requests, "turnout/app/test", failing).back().field("description") ==
        "test failed: step \"unit\" exited 3");
  CHECK(statuses_for(requests, "turnout/app", failing).back().field("description") ==
        "test failed: step \"unit\" exited 3");
  CHECK(fake.problems().empty());
}

TEST_CASE("serve reports: a superseded run's status names the commit that replaced it",
          "[integration][serve][report]") {
  FakeGithub fake;
  AgentServer server("workers: 1\n", {"main"}, false);
  configure(server, fake);
  const auto gate = server.dir / "gate";
  const auto first = server.app.commit(".turnout.yml", two_stages(0, gate_wait(gate)), "app");
  const auto middle = server.app.commit("n.txt", "1", "middle");
  const auto last = server.app.commit("n.txt", "2", "last");
  server.start();
  const int first_run = run_id(server.push(first, "s-1"));
  server.wait_until_working(first_run);
  const int middle_run = run_id(server.push(middle, "s-2"));
  const int last_run = run_id(server.push(last, "s-3"));
  CHECK(status(server.run(middle_run)) == "superseded");
  wait_for_final(fake, server, "turnout/app", middle);
  const auto statuses = statuses_for(fake.requests(), "turnout/app", middle);
  INFO(server.process->output());
  REQUIRE(statuses.size() == 2);
  CHECK(statuses[0].field("state") == "pending");
  CHECK(statuses[0].field("description") == "queued as run " + std::to_string(middle_run));
  CHECK(statuses[1].field("state") == "error");
  CHECK(statuses[1].field("description") ==
        "superseded by " + last.substr(0, 7) + " (run " + std::to_string(last_run) + ")");
  server.dir.write("gate", "");
  CHECK(status(server.wait_until_ended(last_run)) == "succeeded");
  wait_for_final(fake, server, "turnout/app", last);
  CHECK(states_of(fake.requests(), "turnout/app", last).back() == "success");
  CHECK(fake.problems().empty());
}

TEST_CASE("serve reports: reports queued while GitHub is down arrive after a restart",
          "[integration][serve][report]") {
  FakeGithub fake;
  AgentServer server("", {"main"}, false);
  configure(server, fake);
  const auto sha = server.app.commit(".turnout.yml", two_stages(0), "app");
  server.start();
  fake.stop();
  const int id = run_id(server.push(sha, "r-1"));
  CHECK(status(server.wait_until_ended(id)) == "succeeded");
  CHECK(pending_reports(server) > 0);
  server.process->stop(SIGTERM);
  REQUIRE_FALSE(server.process->running());
  fake.start();
  server.start();
  wait_for_final(fake, server, "turnout/app", sha);
  const auto requests = fake.requests();
  CHECK(states_of(requests, "turnout/app", sha) == std::vector<std::string>{"pending", "success"});
  CHECK(states_of(requests, "turnout/app/test", sha) == std::vector<std::string>{"pending", "success"});
  CHECK(fake.problems().empty());
}

TEST_CASE("serve reports: the notifier posts a summary signed like a webhook",
          "[integration][serve][report]") {
  FakeGithub fake;
  AgentServer server("", {"main"}, false);
  configure(server, fake);
  const auto sha = server.app.commit(".turnout.yml", two_stages(0), "app");
  server.start();
  const int id = run_id(server.push(sha, "n-1"));
  server.wait_until_ended(id);
  const bool arrived = fake.wait_for([&](const auto&) { return !fake.requests_to("/notify/chat").empty(); });
  INFO(server.process->output());
  REQUIRE(arrived);
  const auto notification = fake.requests_to("/notify/chat").front();
  CHECK(turnout::agent::verify_signature(kNotifySecret, notification.body,
                                         notification.headers.at("x-turnout-signature-256")) ==
        turnout::agent::SignatureCheck::ok);
  const auto& summary = notification.json;
  REQUIRE(summary);
  CHECK(summary->getValue<int>("run") == id);
  CHECK(summary->getValue<std::string>("repo") == "woodpecker-ci/woodpecker");
  CHECK(summary->getValue<std::string>("branch") == "main");
  CHECK(summary->getValue<std::string>("sha") == sha);
  CHECK(summary->getValue<std::string>("status") == "succeeded");
  CHECK(summary->getValue<std::string>("url") == "http://ci.test/runs/" + std::to_string(id));
  const auto stages = summary->getArray("stages");
  REQUIRE(stages->size() == 2);
  CHECK(stages->getObject(0)->getValue<std::string>("name") == "build");
  CHECK(stages->getObject(1)->getValue<std::string>("status") == "succeeded");
  CHECK(stages->getObject(1)->has("duration_ms"));
}

TEST_CASE("serve reports: a missing or empty token file warns once and the pipeline runs unreported",
          "[integration][serve][report]") {
  FakeGithub fake;
  AgentServer server("", {"main"}, false);
  const bool empty = GENERATE(false, true);
  if (empty) server.dir.write("token", "\n");
  server.repo_extra =
      "github: {api_url: " + fake.url() + ", token_file: " + (server.dir / "token").string() + "}\n";
  const auto sha = server.app.commit(".turnout.yml", two_stages(0), "app");
  server.start();
  const int id = run_id(server.push(sha, "t-1"));
  CHECK(status(server.wait_until_ended(id)) == "succeeded");
  const int again = run_id(server.push(server.app.commit("n.txt", "1", "more"), "t-2"));
  CHECK(status(server.wait_until_ended(again)) == "succeeded");
  const auto log = server.process->output();
  INFO(log);
  CHECK(count(log, "repository woodpecker-ci/woodpecker: not reporting to GitHub") == 1);
  CHECK(pending_reports(server) == 0);
  CHECK(fake.requests().empty());
}

TEST_CASE("serve reports: a run the agent's stop interrupts stays pending, and its rerun reports the end",
          "[integration][serve][report]") {
  FakeGithub fake;
  AgentServer server("", {"main"}, false);
  configure(server, fake);
  const auto gate = server.dir / "gate";
  const auto sha = server.app.commit(".turnout.yml", two_stages(0, gate_wait(gate)), "app");
  server.start();
  const int id = run_id(server.push(sha, "i-1"));
  server.wait_until_working(id);
  server.process->stop(SIGTERM);  // the step outlives the 1s grace: interrupted, queued again
  REQUIRE_FALSE(server.process->running());
  server.dir.write("gate", "");
  server.start();
  wait_for_final(fake, server, "turnout/app", sha);
  const auto statuses = statuses_for(fake.requests(), "turnout/app", sha);
  INFO(server.process->output());
  std::vector<std::string> states;
  for (const auto& request : statuses) states.push_back(request.field("state"));
  CHECK(std::count(states.begin(), states.end(), "error") == 0);
  CHECK(states.back() == "success");
  const bool told = std::any_of(statuses.begin(), statuses.end(), [](const GithubRequest& request) {
    return request.field("description").find("queued again") != std::string::npos;
  });
  CHECK(told);
  // Only the run that finished is notified.
  CHECK(fake.wait_for([&](const auto&) { return fake.requests_to("/notify/chat").size() == 1; }));
  CHECK(fake.requests_to("/notify/chat").front().json->getValue<std::string>("status") == "succeeded");
}
