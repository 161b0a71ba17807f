// The dashboard in a real browser: Debian's chromium, headless, driven by puppeteer-core
// (tests/browser/dashboard.mjs) against a real `turnout serve`. Screenshots of every page at
// 1280 and 375 px go to browser-screenshots/ in the test's working folder.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "tests/support/agent_server.h"
#include "tests/support/command.h"
#include "tests/support/deploy_site.h"
#include "tests/support/http_get.h"

using namespace turnout::test;

namespace {

namespace fs = std::filesystem;

int run_id(const Answer& answer) {
  INFO(answer.body);
  REQUIRE(answer.status == 202);
  return answer.json()->getValue<int>("run");
}

// Finishes at once on main; elsewhere prints a line every 200 ms for two minutes.
const char kPipeline[] = R"(name: app
stages:
  - name: build
    steps:
      - name: work
        run: |
          echo "building $TURNOUT_BRANCH"
          case "$TURNOUT_BRANCH" in main|*'<img'*) printf '\033[32mgreen\033[0m done\n'; exit 0;; esac
          for i in $(seq 600); do echo "line $i"; sleep 0.2; done
)";

Answer push_with_message(AgentServer& server, const std::string& sha, const std::string& message,
                         const std::string& delivery, const std::string& branch) {
  auto payload = Poco::JSON::Parser().parse(push_payload(sha, branch)).extract<Poco::JSON::Object::Ptr>();
  payload->getObject("head_commit")->set("message", message);
  std::ostringstream text;
  payload->stringify(text);
  return server.post("push", delivery, text.str());
}

const fs::path kScripts = fs::path(TURNOUT_SOURCE_DIR) / "tests" / "browser";

// Where the screenshots go: the test's working folder, kept after it.
fs::path screenshots() { return fs::current_path() / "browser-screenshots"; }

// `spec` with the agent's address, the sign-in token and where screenshots go.
Poco::JSON::Object spec_for(const AgentServer& server, const std::string& token) {
  Poco::JSON::Object spec;
  spec.set("base", "http://127.0.0.1:" + std::to_string(server.port));
  spec.set("token", token);
  spec.set("out", screenshots().string());
  return spec;
}

// Runs tests/browser/`script` with `spec`; checks that it passed.
void run_scenario(const AgentServer& server, const std::string& script, const Poco::JSON::Object& spec) {
  if (!fs::exists(kScripts / "node_modules" / "puppeteer-core"))
    FAIL("puppeteer-core is not installed in " << kScripts << ": run scripts/setup");
  std::ostringstream text;
  spec.stringify(text);
  const auto file = server.dir.write(script + ".json", text.str());
  const auto result = run_command({"node", (kScripts / script).string(), file.string()}, kScripts.string());
  INFO(result.out << "\n" << result.err);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("passed"));
}

// Pushes `version` of the deploy pipeline and waits for its run to succeed; returns the sha.
std::string deploy(AgentServer& server, const DeploySite& site, const std::string& version) {
  const auto sha = server.app.commit(".turnout.yml", site.pipeline(version), version);
  const auto run = server.wait_until_ended(run_id(server.push(sha, "deploy-" + version)));
  REQUIRE(run->getValue<std::string>("status") == "succeeded");
  return sha;
}

}  // namespace

TEST_CASE("dashboard in chromium: sign in, every page, rerun, cancel, a live log, a refused delivery",
          "[browser][integration][dashboard][slow]") {
  AgentServer server("workers: 3\napi_token_file: token\n", {"main", "slow-*"}, false);
  server.dir.write("token", "browser-token\n");
  const auto sha = server.app.commit(".turnout.yml", kPipeline, "app");
  server.app.git({"branch", "slow-grow"});
  server.app.git({"branch", "slow-cancel"});
  // A branch git allows that is markup: `/` separates an <img>'s attributes as a space would.
  const std::string markup_branch = "slow-\"><img/src=x/onerror=window.__xss=true>";
  server.app.git({"branch", markup_branch});
  server.start();

  const int xss = run_id(push_with_message(
      server, sha, "<script>window.__xss=true</script>\n\"><img src=x onerror=window.__xss=true>", "b-1",
      "main"));
  server.wait_until_ended(xss);
  const int growing = run_id(server.push(sha, "b-2", "slow-grow"));
  const int cancel = run_id(server.push(sha, "b-3", "slow-cancel"));
  server.wait_until_working(growing);
  server.wait_until_working(cancel);
  CHECK(server.post("push", "refused-b-4", push_payload(sha), std::string("sha256=00")).status == 401);
  const int markup = run_id(server.push(sha, "b-5", markup_branch));
  server.wait_until_ended(markup);

  auto spec = spec_for(server, "browser-token");
  spec.set("delivery", "refused-b-4");
  Poco::JSON::Object runs;
  runs.set("xss", xss);
  runs.set("finished", xss);
  runs.set("growing", growing);
  runs.set("cancel", cancel);
  runs.set("markup_branch", markup);
  spec.set("runs", runs);
  spec.set("markup_branch", markup_branch);
  run_scenario(server, "dashboard.mjs", spec);
  const fs::path out = screenshots();
  for (const char* page :
       {"login", "runs", "overview", "run", "run-dark", "run-live", "deliveries", "not-found"}) {
    CHECK(fs::exists(out / (std::string(page) + "-1280.png")));
    CHECK(fs::exists(out / (std::string(page) + "-375.png")));
  }
}

TEST_CASE("dashboard in chromium: an app rolled back and switched from its page, the overview shows it",
          "[browser][integration][dashboard][deploy][nginx][slow]") {
  AgentServer server("workers: 1\napi_token_file: api-token\n", {"main"}, false);
  server.dir.write("api-token", "browser-token\n");
  DeploySite site;
  site.data_dir = server.data();
  server.start();
  const auto v1 = deploy(server, site, "v1");
  const auto v2 = deploy(server, site, "v2");
  REQUIRE(site.serves("v2"));

  auto spec = spec_for(server, "browser-token");
  spec.set("app", "web");
  spec.set("live", "green");
  spec.set("sha", v2);
  Poco::JSON::Object previous;
  previous.set("slot", "blue");
  previous.set("sha", v1);
  spec.set("previous", previous);
  run_scenario(server, "rollback.mjs", spec);
  CHECK(site.serves("v2"));  // rolled back to v1, then switched back
  CHECK(fs::exists(screenshots() / "app-1280.png"));
}

TEST_CASE("dashboard in chromium: the app page's traffic per slot, without JavaScript, at 1280 and 375 px",
          "[browser][integration][dashboard][deploy][nginx][feed][slow]") {
  AgentServer server("workers: 1\napi_token_file: api-token\n", {"main"}, false);
  server.dir.write("api-token", "browser-token\n");
  DeploySite site;
  site.data_dir = server.data();
  server.start();
  DeployKnobs fed;
  fed.feed = true;
  fed.app_env = "  APP_ERRORS: '10'\n";  // every 10th request to / is a 500
  const auto sha = server.app.commit(".turnout.yml", site.pipeline("v1", fed), "v1");
  REQUIRE(server.wait_until_ended(run_id(server.push(sha, "deploy-v1")))->getValue<std::string>("status") ==
          "succeeded");
  REQUIRE(site.serves("v1"));  // the first request
  for (int i = 0; i < 29; ++i) http_get_body(site.nginx->port());
  // The feed's datagrams arrive a moment after the answers.
  for (int i = 0; i < 400; ++i) {
    const auto traffic = server.get("/api/apps/web").json()->getObject("live")->getObject("traffic");
    if (traffic && traffic->getValue<int>("requests") >= 30) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  const std::string live = turnout::steps::deploy::to_string(*site.state().live);

  auto spec = spec_for(server, "browser-token");
  spec.set("app", "web");
  spec.set("live", live);
  spec.set("idle", live == "blue" ? "green" : "blue");
  spec.set("requests", 30);
  run_scenario(server, "traffic.mjs", spec);
  CHECK(fs::exists(screenshots() / "app-traffic-375.png"));
}

TEST_CASE("dashboard in chromium: a running log is polled when the agent has no live stream to spare",
          "[browser][integration][dashboard][slow]") {
  AgentServer server("workers: 1\napi_token_file: token\nhttp: {max_live_streams: 0}\n", {"main", "slow-*"},
                     false);
  server.dir.write("token", "browser-token\n");
  const auto sha = server.app.commit(".turnout.yml", kPipeline, "app");
  server.app.git({"branch", "slow-poll"});
  server.start();
  const int id = run_id(server.push(sha, "p-1", "slow-poll"));
  server.wait_until_working(id);
  auto spec = spec_for(server, "browser-token");
  spec.set("run", id);
  run_scenario(server, "polling.mjs", spec);
}
