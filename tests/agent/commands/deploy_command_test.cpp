// Deploys through the real binary: `turnout run` with a deploy stage behind a real nginx,
// `turnout deploy status|rollback|switch|bootup`, and SIGKILL in the middle of each phase.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <thread>

#include "steps/deploy/app_state.h"
#include "steps/deploy/slot_process.h"
#include "tests/support/background_process.h"
#include "tests/support/command.h"
#include "tests/support/http_get.h"
#include "tests/support/nginx.h"
#include "tests/support/temp_dir.h"
#include "tests/support/version_app.h"

using namespace turnout;
using namespace turnout::test;

namespace {

namespace fs = std::filesystem;

// A workspace with a deploy pipeline, a data dir and a real nginx in front of the app's slots.
struct Site {
  TempDir dir;
  int blue = free_loopback_port();
  int green = free_loopback_port();
  std::unique_ptr<NginxServer> nginx;

  Site() {
    dir.write("web.upstream.conf", "server 127.0.0.1:1;\n");
    nginx = std::make_unique<NginxServer>(
        [this](int port) { return proxy_site(dir / "web.upstream.conf", port); });
  }

  ~Site() { stop_app_slots(data(), "web"); }

  std::string data() const { return (dir / "data").string(); }

  // The pipeline for `version`; `timing` is the deploy's `verify` and `drain` keys.
  void write_pipeline(const std::string& version,
                      const std::string& timing = "      verify: 300ms\n      drain: 100ms\n",
                      const std::string& app_env = "", const std::string& test_prefix = "") {
    const std::string flags = " -p " + nginx->prefix().string() + " -c " + nginx->config_file().string();
    dir.write("ws/.turnout.yml",
              "name: web\nenv:\n  APP_VERSION: " + version + "\n" + app_env +
                  "stages:\n  - name: deploy\n    deploy:\n      app: web\n"
                  "      slots: { blue: " +
                  std::to_string(blue) + ", green: " + std::to_string(green) +
                  " }\n      start: exec " TURNOUT_TEST_APP
                  "\n"
                  "      health: { path: /health, interval: 100ms, timeout: 2s, attempts: 300 }\n" +
                  timing + "      proxy:\n        nginx:\n          upstream_file: " +
                  (dir / "web.upstream.conf").string() + "\n          test: " + test_prefix + "nginx -t -q" +
                  flags + "\n          reload: nginx -s reload" + flags + "\n");
  }

  CommandResult turnout(std::vector<std::string> args) {
    args.push_back("--data-dir");
    args.push_back(data());
    return run_turnout(args);
  }

  CommandResult deploy(const std::string& version) {
    write_pipeline(version);
    return turnout({"run", "--dir", (dir / "ws").string()});
  }

  bool serves(const std::string& version) {
    for (int i = 0; i < 200; ++i) {
      if (http_get_body(nginx->port()) == version + "\n") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  steps::deploy::AppState state() const {
    return steps::deploy::load_app_state(steps::deploy::app_dir(data(), "web")).value();
  }
};

}  // namespace

TEST_CASE("deploy: turnout run deploys, deploy status reads it back, rollback and switch move traffic",
          "[integration][deploy][nginx]") {
  Site site;
  const auto v1 = site.deploy("v1");
  INFO(v1.out << v1.err);
  REQUIRE(v1.exit_code == 0);
  CHECK_THAT(v1.out, Catch::Contains("deploy done: slot blue is live"));
  CHECK(site.serves("v1"));
  REQUIRE(site.deploy("v2").exit_code == 0);
  CHECK(site.serves("v2"));

  const auto status = site.turnout({"deploy", "status", "--json"});
  INFO(status.err);
  REQUIRE(status.exit_code == 0);
  const auto apps = Poco::JSON::Parser().parse(status.out).extract<Poco::JSON::Array::Ptr>();
  REQUIRE(apps->size() == 1);
  const auto app = apps->getObject(0);
  CHECK(app->getValue<std::string>("app") == "web");
  CHECK(app->getObject("live")->getValue<std::string>("slot") == "green");
  CHECK(app->getObject("live")->getValue<bool>("healthy"));
  CHECK(app->getObject("live")->getValue<int>("port") == site.green);
  CHECK(app->getValue<int>("proxy_port") == site.green);
  CHECK(app->getObject("idle")->getValue<bool>("alive"));
  CHECK_FALSE(app->has("unfinished_deploy"));
  const auto text = site.turnout({"deploy", "status"});
  CHECK_THAT(text.out, Catch::Contains("live   green port " + std::to_string(site.green)));

  const auto rollback = site.turnout({"deploy", "rollback", "--app", "web"});
  INFO(rollback.out << rollback.err);
  CHECK(rollback.exit_code == 0);
  CHECK(site.serves("v1"));
  CHECK(site.turnout({"deploy", "switch", "green", "--app", "web"}).exit_code == 0);
  CHECK(site.serves("v2"));

  const auto unknown = site.turnout({"deploy", "rollback", "--app", "nope"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::StartsWith("turnout deploy rollback: no app 'nope'"));
}

TEST_CASE("deploy: turnout killed with SIGKILL in a phase is reconciled at the next start",
          "[integration][deploy][nginx][slow]") {
  struct Case {
    const char* phase;
    std::string timing, app_env, test_prefix;
    const char* served_after;  // the version served once reconciled; "" = the live one, either is right
  };
  const std::string kQuick = "      verify: 300ms\n      drain: 100ms\n";
  const std::vector<Case> cases = {
      {"health", kQuick, "  APP_HEALTH: after:30\n", "", "v1"},
      // Killed before or after the file was written: either way a healthy slot serves, and it is the live
      // one.
      {"switch", kQuick, "", "sleep 3; ", ""},
      {"verify", "      verify: 30s\n      drain: 100ms\n", "", "", "v2"},
      {"drain", "      verify: 300ms\n      drain: 30s\n", "", "", "v2"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION("killed during " << c.phase) {
      Site site;
      REQUIRE(site.deploy("v1").exit_code == 0);
      site.write_pipeline("v2", c.timing, c.app_env, c.test_prefix);
      std::vector<std::string> argv = {TURNOUT_BINARY, "run",      "--dir", (site.dir / "ws").string(),
                                       "--data-dir",   site.data()};
      BackgroundProcess run(argv, site.dir / "run.log");
      bool reached = false;
      for (int i = 0; i < 600 && !reached; ++i) {
        const auto state = site.state();
        reached = state.journal && steps::deploy::to_string(state.journal->phase) == std::string(c.phase);
        if (!reached) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      REQUIRE(reached);
      run.stop(SIGKILL);

      const auto boot = site.turnout({"deploy", "bootup"});
      INFO(run.output() << boot.out << boot.err);
      CHECK(boot.exit_code == 0);
      CHECK_THAT(boot.out, Catch::Contains(std::string("was interrupted during ") + c.phase));
      CHECK_FALSE(site.state().journal);
      const std::string live = site.state().live;
      const std::string expected = *c.served_after != '\0' ? c.served_after : live == "green" ? "v2" : "v1";
      CHECK(live == (expected == "v2" ? "green" : "blue"));
      CHECK(site.serves(expected));
    }
  }
}
