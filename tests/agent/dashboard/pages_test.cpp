// The dashboard's pages built on a real store in a temp folder, without a server: what their
// links carry and what they list.
#include "agent/dashboard/pages.h"

#include <catch2/catch.hpp>
#include <regex>

#include "agent/dashboard/deploy_history.h"
#include "agent/http/request_target.h"
#include "agent/store/store.h"
#include "steps/deploy/deploy_record.h"
#include "tests/support/temp_dir.h"

using namespace turnout::agent;
using turnout::test::TempDir;

namespace {

// A store and the page sources on it, in a temp folder.
struct Pages {
  TempDir dir;
  AgentConfig config;
  std::unique_ptr<Store> store;
  PageSources sources;

  Pages() : store(open(dir.path())), sources{config, store->history, store->counter, store->deliveries, {}} {
    config.data_dir = dir.path().string();
  }

  static std::unique_ptr<Store> open(const std::filesystem::path& dir) {
    auto store = Store::open(dir.string());
    if (!store) FAIL(store.error().message);
    return std::move(store).value();
  }

  std::int64_t add_run(const std::string& repo_name, const std::string& branch) {
    NewRun run{"https://example.test/" + repo_name,
               "refs/heads/" + branch,
               branch,
               "abc",
               "app",
               Trigger::webhook,
               std::nullopt,
               repo_name,
               true,
               "subject"};
    return store->history.create_run(run).value();
  }
};

// The href of the page's `rel="next"` link as the browser follows it (HTML-unescaped).
std::string next_link(const PageAnswer& page) {
  const auto html = render_page(page.template_name, page.data, {page.title, "", false, page.nav});
  std::smatch found;
  REQUIRE(std::regex_search(html, found, std::regex("rel=\"next\" href=\"([^\"]*)\"")));
  return std::regex_replace(found[1].str(), std::regex("&amp;"), "&");
}

}  // namespace

TEST_CASE("pages: the older runs' link keeps a filter holding & and +", "[unit][dashboard]") {
  Pages pages;
  const std::string branch = "a&b+c d";
  const auto first = pages.add_run("acme/x&y", branch);
  for (int i = 0; i < 50; ++i) pages.add_run("acme/x&y", branch);
  pages.add_run("acme/x&y", "main");

  const auto newest = runs_page(pages.sources, {{"repo", "acme/x&y"}, {"branch", branch}});
  REQUIRE(newest.status == 200);
  // Followed as the server reads a request target: the same filter, and the oldest run.
  const auto target = parse_request_target(next_link(newest));
  REQUIRE(target);
  CHECK(target.value().path == "/runs");
  CHECK(target.value().query.at("branch") == branch);
  CHECK(target.value().query.at("repo") == "acme/x&y");
  const auto older = runs_page(pages.sources, target.value().query);
  REQUIRE(older.status == 200);
  const auto html = render_page(older.template_name, older.data, {older.title, "", false, older.nav});
  CHECK_THAT(html, Catch::Contains("href=\"/runs/" + std::to_string(first) + "\""));
}

TEST_CASE("pages: an app's deploy history shows phases, failed probes, the switch and an automatic rollback",
          "[unit][dashboard]") {
  namespace deploy = turnout::steps::deploy;
  TempDir dir;
  deploy::DeployRecord good;
  good.run_id = "41";
  good.sha = "1111111aaaa";
  good.target = deploy::Slot::blue;
  good.started_at = "2026-12-07T10:00:00.000Z";
  good.finished_at = "2026-12-07T10:00:04.000Z";
  good.phases = {{deploy::Phase::prepare, "2026-12-07T10:00:00.000Z"},
                 {deploy::Phase::switch_traffic, "2026-12-07T10:00:02.500Z"}};
  good.switched_at = "2026-12-07T10:00:02.600Z";
  good.result = deploy::DeployResult::live;
  REQUIRE(deploy::add_deploy(dir.path().string(), good));
  deploy::DeployRecord bad = good;
  bad.run_id = "42";
  bad.sha = "2222222bbbb";
  bad.target = deploy::Slot::green;
  bad.from = deploy::Slot::blue;
  bad.probes = {{"2026-12-07T10:00:01.000Z", 1, 30, "GET /health -> 503 <script>x</script>"}};
  bad.rolled_back_at = "2026-12-07T10:00:03.000Z";
  bad.result = deploy::DeployResult::rolled_back;
  bad.reason = "slot green failed after the switch: the process is gone; traffic is back on slot blue";
  REQUIRE(deploy::add_deploy(dir.path().string(), bad));

  PageData data;
  data.set("name", "web");
  data.set("deploys_of_app", deploy_history(dir.path().string(), std::chrono::system_clock::now()));
  const auto html = render_page("app.mustache", data, {"App web", "", false, "overview"});
  // Newest first: the rollback, marked, with its failed probe's reason as text.
  const auto rolled = html.find("href=\"/runs/42\"");
  const auto live = html.find("href=\"/runs/41\"");
  REQUIRE(rolled != std::string::npos);
  REQUIRE(live != std::string::npos);
  CHECK(rolled < live);
  CHECK_THAT(html, Catch::Contains("↩ rolled back") && Catch::Contains("automatic rollback"));
  CHECK_THAT(html, Catch::Contains("traffic went back to slot blue"));
  CHECK_THAT(html,
             Catch::Contains("probe 1/30 failed: GET /health -&gt; 503 &lt;script&gt;x&lt;/script&gt;"));
  CHECK_THAT(html, !Catch::Contains("<script>x"));
  CHECK_THAT(html, Catch::Contains("traffic is back on slot blue"));
  CHECK_THAT(html, Catch::Contains("✓ live"));
  CHECK_THAT(html, Catch::Contains("switch +2.5 s") || Catch::Contains("switch +2 s"));
  CHECK_THAT(html, Catch::Contains("datetime=\"2026-12-07T10:00:02.600Z\""));  // the switch time

  // None yet: said so.
  TempDir empty;
  data.set("deploys_of_app", deploy_history(empty.path().string(), std::chrono::system_clock::now()));
  CHECK_THAT(render_page("app.mustache", data, {"App web", "", false, "overview"}),
             Catch::Contains("No deploy recorded yet"));
}
