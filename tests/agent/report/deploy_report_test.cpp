// A deploy stage as GitHub sees it, through `turnout run --report`: a deployment of the commit
// with its statuses, and a deploy that failed after the switch reported as a new deployment of
// the commit traffic went back to. Real nginx, the real test app, a fake GitHub.
#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/support/background_process.h"
#include "tests/support/command.h"
#include "tests/support/fake_github.h"
#include "tests/support/git_repo.h"
#include "tests/support/nginx.h"
#include "tests/support/temp_dir.h"
#include "tests/support/version_app.h"

using namespace turnout;
using namespace turnout::test;

namespace {

// A git workspace with a deploy pipeline behind a real nginx, and an agent.yml whose
// repository acme/web reports to a fake GitHub.
struct Site {
  TempDir dir;
  GitRepo ws{dir / "ws"};
  FakeGithub github;
  int blue = free_loopback_port();
  int green = free_loopback_port();
  std::unique_ptr<NginxServer> nginx;

  Site() {
    dir.write("web.upstream.conf", "server 127.0.0.1:1;\n");
    nginx = std::make_unique<NginxServer>(
        [this](int port) { return proxy_site(dir / "web.upstream.conf", port); });
    dir.write("token", kGithubToken + "\n");
    dir.write("agent.yml", "public_url: http://ci.test\ndata_dir: " + data() +
                               "\nrepos:\n  - name: acme/web\n    github: {api_url: " + github.url() +
                               ", token_file: " + (dir / "token").string() + ", environment: staging}\n");
  }

  ~Site() { stop_app_slots(data(), "web"); }

  std::string data() const { return (dir / "data").string(); }

  // Commits the pipeline of `version` (with `app_env` in the pipeline's env) and runs it.
  std::pair<std::string, CommandResult> deploy(const std::string& version, const std::string& app_env = "") {
    const std::string flags = " -p " + nginx->prefix().string() + " -c " + nginx->config_file().string();
    const auto sha = ws.commit(
        ".turnout.yml",
        "name: web\nenv:\n  APP_VERSION: " + version + "\n" + app_env +
            "stages:\n  - name: deploy\n    deploy:\n      app: web\n      slots: { blue: " +
            std::to_string(blue) + ", green: " + std::to_string(green) +
            " }\n      start: exec " TURNOUT_TEST_APP
            "\n      health: { path: /health, interval: 100ms, timeout: 2s, attempts: 300 }\n"
            "      verify: 3s\n      drain: 100ms\n      proxy:\n        nginx:\n          upstream_file: " +
            (dir / "web.upstream.conf").string() + "\n          test: nginx -t -q" + flags +
            "\n          reload: nginx -s reload" + flags + "\n",
        version);
    auto result = run_turnout({"run", "--dir", ws.path().string(), "--data-dir", data(), "--report",
                               "--config", (dir / "agent.yml").string(), "--github-repo", "acme/web"});
    return {sha, result};
  }

  // The deployment requests (creations and statuses) GitHub accepted, in order.
  std::vector<GithubRequest> deployments() const {
    std::vector<GithubRequest> found;
    for (auto& request : github.requests_to("/repos/acme/web/deployments"))
      if (request.answered < 300) found.push_back(request);
    return found;
  }
};

}  // namespace

TEST_CASE("report: a deploy is a GitHub deployment, a rollback after the switch is a new one",
          "[integration][report][deploy][nginx]") {
  Site site;
  const auto [v1, first] = site.deploy("v1");
  INFO(first.out << first.err);
  REQUIRE(first.exit_code == 0);
  auto deployments = site.deployments();
  REQUIRE(deployments.size() == 3);
  const auto& created = deployments[0];
  CHECK(created.path == "/repos/acme/web/deployments");
  CHECK(created.field("ref") == v1);
  CHECK(created.field("environment") == "staging");
  CHECK(created.field("task") == "deploy");
  CHECK_FALSE(created.json->getValue<bool>("auto_merge"));
  CHECK(created.json->getArray("required_contexts")->size() == 0);
  CHECK_THAT(deployments[1].path, Catch::Matches("/repos/acme/web/deployments/[0-9]+/statuses"));
  CHECK(deployments[1].field("state") == "in_progress");
  CHECK(deployments[2].field("state") == "success");
  CHECK(deployments[2].path == deployments[1].path);
  CHECK(deployments[2].field("log_url") == "http://ci.test/runs/1");
  CHECK(deployments[2].field("environment_url") == "http://ci.test");
  const auto requests = site.github.requests();
  CHECK(states_of(requests, "turnout/web", v1) == std::vector<std::string>{"pending", "success"});
  CHECK(states_of(requests, "turnout/web/deploy", v1) == std::vector<std::string>{"pending", "success"});

  // v2 dies a second after it starts: during verify, after the switch; traffic goes back to v1.
  const auto [v2, second] = site.deploy("v2", "  APP_DIE_AFTER: \"1\"\n");
  INFO(second.out << second.err);
  CHECK(second.exit_code == 1);
  deployments = site.deployments();
  REQUIRE(deployments.size() == 8);
  CHECK(deployments[3].field("ref") == v2);
  CHECK(deployments[4].field("state") == "in_progress");
  CHECK(deployments[5].field("state") == "failure");
  CHECK(deployments[6].field("ref") == v1);
  CHECK_THAT(deployments[6].field("description"),
             Catch::StartsWith("rollback: web back on " + v1.substr(0, 7)));
  CHECK(deployments[7].field("state") == "success");
  CHECK(deployments[7].path != deployments[4].path);
  CHECK(states_of(site.github.requests(), "turnout/web/deploy", v2) ==
        std::vector<std::string>{"pending", "failure"});
  CHECK(site.github.problems().empty());
}

TEST_CASE("report: turnout run --report needs a repository the config has", "[integration][report][cli]") {
  Site site;
  site.ws.commit("README", "x", "init");
  const auto unknown =
      run_turnout({"run", "--dir", site.ws.path().string(), "--data-dir", site.data(), "--report", "--config",
                   (site.dir / "agent.yml").string(), "--github-repo", "acme/other"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("repository acme/other is not in"));
  CHECK(site.github.requests().empty());
}

TEST_CASE("report: turnout deploy rollback --report is a new deployment of the older commit",
          "[integration][report][deploy][nginx]") {
  Site site;
  const auto [v1, first] = site.deploy("v1");
  REQUIRE(first.exit_code == 0);
  const auto [v2, second] = site.deploy("v2");
  REQUIRE(second.exit_code == 0);
  const auto before = site.deployments().size();
  const auto rollback =
      run_turnout({"deploy", "rollback", "--app", "web", "--data-dir", site.data(), "--report", "--config",
                   (site.dir / "agent.yml").string(), "--github-repo", "acme/web"});
  INFO(rollback.out << rollback.err);
  REQUIRE(rollback.exit_code == 0);
  const auto deployments = site.deployments();
  REQUIRE(deployments.size() == before + 2);
  CHECK(deployments[before].field("ref") == v1);
  CHECK(deployments[before].field("environment") == "staging");
  CHECK(deployments[before].field("description") ==
        "rollback: web back on " + v1.substr(0, 7) + " (turnout deploy rollback)");
  CHECK(deployments[before + 1].field("state") == "success");
  CHECK(site.github.problems().empty());
  CHECK(v2 != v1);
}

TEST_CASE("report: turnout run --report finds the repository by $GITHUB_REPOSITORY",
          "[integration][report][cli]") {
  Site site;
  const auto sha = site.ws.commit(".turnout.yml",
                                  "name: lib\nstages:\n  - name: test\n    steps:\n      - name: unit\n"
                                  "        run: exit 4\n",
                                  "failing tests");
  // Another data folder than the agent's: the run has no page there to link to.
  const auto elsewhere = (site.dir / "cli-data").string();
  const auto run = run_turnout({"run", "--dir", site.ws.path().string(), "--data-dir", elsewhere, "--report",
                                "--config", (site.dir / "agent.yml").string()},
                               "", {{"GITHUB_REPOSITORY", "acme/web"}});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);
  const auto requests = site.github.requests();
  CHECK(states_of(requests, "turnout/lib", sha) == std::vector<std::string>{"pending", "failure"});
  CHECK(states_of(requests, "turnout/lib/test", sha) == std::vector<std::string>{"pending", "failure"});
  CHECK(statuses_for(requests, "turnout/lib/test", sha).back().field("description") ==
        "test failed: step \"unit\" exited 4");
  CHECK_FALSE(statuses_for(requests, "turnout/lib", sha).back().json->has("target_url"));
  CHECK(site.github.problems().empty());
}
