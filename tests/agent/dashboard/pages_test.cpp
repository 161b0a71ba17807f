// The dashboard's pages built on a real store in a temp folder, without a server: what their
// links carry and what they list.
#include "agent/dashboard/pages.h"

#include <catch2/catch.hpp>
#include <regex>

#include "agent/http/request_target.h"
#include "agent/store/store.h"
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
