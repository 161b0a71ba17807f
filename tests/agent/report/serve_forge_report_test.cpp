// Gitea, Forgejo and GitLab end to end: a real agent over loopback, a real git repository, real
// steps, each forge's real push payload and headers in, and that forge's stand-in (which checks
// every request against the forge's documented API) receiving the commit statuses. Waits are
// for states, never timed.
#include <catch2/catch.hpp>
#include <string>

#include "tests/support/agent_server.h"
#include "tests/support/fake_forge.h"

using namespace turnout::test;
using turnout::agent::Forge;

namespace {

namespace fs = std::filesystem;

std::string one_stage(const std::string& build = "echo building") {
  return "name: app\nstages:\n  - name: build\n    steps:\n      - name: compile\n        run: " + build +
         "\n";
}

std::string gate_wait(const fs::path& gate) {
  return "\"for i in $(seq 1200); do [ -e '" + gate.string() + "' ] && exit 0; sleep 0.1; done; exit 1\"";
}

int run_id(const Answer& answer) {
  INFO(answer.body);
  REQUIRE(answer.status == 202);
  return answer.json()->getValue<int>("run");
}

// The states `fake` accepted for `context` on commit `sha`.
std::vector<std::string> states_on(const FakeForge& fake, const std::string& context,
                                   const std::string& sha) {
  std::vector<GithubRequest> on_sha;
  for (const auto& request : fake.requests()) {
    if (request.path.size() >= sha.size() &&
        request.path.compare(request.path.size() - sha.size(), sha.size(), sha) == 0)
      on_sha.push_back(request);
  }
  return forge_states(on_sha, context);
}

void wait_for_state(const FakeForge& fake, AgentServer& server, const std::string& context,
                    const std::string& sha, const std::string& state) {
  const bool done = fake.wait_for(
      [&](const auto&) {
        const auto states = states_on(fake, context, sha);
        return !states.empty() && states.back() == state;
      },
      std::chrono::seconds(120));
  if (!done)
    FAIL("no " << state << " status for " << context << " on " << sha << "\n" << server.process->output());
}

}  // namespace

TEST_CASE("serve reports to Gitea, Forgejo and GitLab: queued, running, passed",
          "[integration][serve][report]") {
  const auto forge = GENERATE(Forge::gitea, Forge::forgejo, Forge::gitlab);
  const std::string name = turnout::agent::to_string(forge);
  INFO(name);
  FakeForge fake(forge);
  AgentServer server("workers: 1\n", {"main"}, false);
  server.dir.write("token", kForgeToken + "\n");
  server.repo_extra = "forge: " + name + "\n" + name + ": {url: " + fake.url() +
                      ", token_file: " + (server.dir / "token").string() + "}\n";
  // The first run waits for a gate, so that the second push is certainly queued (and said so)
  // before a worker takes it.
  const auto gate = server.dir / "gate";
  const auto first = server.app.commit(".turnout.yml", one_stage(gate_wait(gate)), "first");
  server.start();
  const int first_run = run_id(server.push_from(forge, first, "d-1"));
  server.wait_until_working(first_run);
  const auto second = server.app.commit(".turnout.yml", one_stage(), "second");
  const int second_run = run_id(server.push_from(forge, second, "d-2"));
  // The same delivery again, from the same forge: nothing new.
  const auto again = server.push_from(forge, second, "d-2");
  CHECK(again.status == 200);
  CHECK(again.json()->getValue<std::string>("result") == "duplicate");
  wait_for_state(fake, server, "turnout/app", second, "pending");
  server.dir.write("gate", "");
  CHECK(server.wait_until_ended(first_run)->getValue<std::string>("status") == "succeeded");
  CHECK(server.wait_until_ended(second_run)->getValue<std::string>("status") == "succeeded");
  wait_for_state(fake, server, "turnout/app", first, "success");
  wait_for_state(fake, server, "turnout/app", second, "success");
  wait_for_state(fake, server, "turnout/app/build", second, "success");

  INFO(server.process->output());
  CHECK(fake.problems().empty());
  // Gitea's states are GitHub's (running is pending there); GitLab has its own for a started run,
  // and refuses the same state twice in a row.
  const std::string running = forge == Forge::gitlab ? "running" : "pending";
  CHECK(states_on(fake, "turnout/app", first) == std::vector<std::string>{running, "success"});
  CHECK(states_on(fake, "turnout/app", second) == std::vector<std::string>{"pending", running, "success"});
  CHECK(states_on(fake, "turnout/app/build", second) == std::vector<std::string>{running, "success"});
  for (const auto& request : fake.requests()) {
    CHECK(request.answered == 201);
    const auto link = request.field("target_url");
    CHECK((link == "http://ci.test/runs/" + std::to_string(first_run) ||
           link == "http://ci.test/runs/" + std::to_string(second_run)));
  }
}

TEST_CASE("serve: a forge's delivery to a repository of another forge is refused, nothing queued",
          "[integration][serve]") {
  AgentServer server;  // woodpecker-ci/woodpecker, a GitHub repository
  const auto sha = server.app.commit(".turnout.yml", one_stage(), "app");
  const auto answer = server.push_from(Forge::gitlab, sha, "l-1");
  CHECK(answer.status == 400);
  CHECK_THAT(answer.json()->getValue<std::string>("reason"),
             Catch::Contains("'woodpecker-ci/woodpecker' is configured with forge: github"));
  CHECK(server.runs()->size() == 0);
  // GitLab's token is the secret itself: the agent's log never holds it.
  CHECK_THAT(server.process->output(), !Catch::Contains(kAgentSecret));
}
