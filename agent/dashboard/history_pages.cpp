// The pages of the run history: the overview, a page of runs, one run.
#include <charconv>

#include "agent/apps/app_status.h"
#include "agent/dashboard/page_values.h"
#include "agent/dashboard/pages.h"
#include "util/percent_encoding.h"

namespace turnout::agent {

namespace {

using std::chrono::system_clock;

// The runs an overview lists.
constexpr int kOverviewRuns = 15;
// Runs a page of /runs lists.
constexpr int kPageRuns = 50;

std::optional<std::int64_t> positive(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1) return std::nullopt;
  return value;
}

std::string uptime_text(std::chrono::steady_clock::time_point started) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
  const auto count = s.count();
  if (count < 3600) return std::to_string(count / 60) + " min";
  if (count < 86400) return std::to_string(count / 3600) + " h " + std::to_string(count % 3600 / 60) + " min";
  return std::to_string(count / 86400) + " d " + std::to_string(count % 86400 / 3600) + " h";
}

PageList run_rows(const std::vector<RunRecord>& runs) {
  const auto now = system_clock::now();
  PageList rows;
  for (const auto& run : runs) rows.push_back(run_row(run, now));
  return rows;
}

}  // namespace

PageAnswer error_page(int status, const std::string& heading, const std::string& reason) {
  PageData data;
  data.set("status", std::to_string(status));
  data.set("heading", heading);
  data.set("reason", text(reason));
  return {status, "error.mustache", data, heading, ""};
}

PageAnswer overview_page(const PageSources& sources) {
  const auto runs = sources.runs.page(RunFilter{"", "", std::nullopt, std::nullopt, kOverviewRuns});
  if (!runs) return error_page(500, "The store cannot be read", runs.error().message);
  const auto stats = sources.counter.stats();
  PageData data;
  PageList apps;
  const auto now = system_clock::now();
  // Held here: a range-for over `*all_apps_status_json(...)` would outlive the array.
  const auto all = all_apps_status_json(sources.config.data_dir);
  for (const auto& app : *all) apps.push_back(app_value(app.extract<Poco::JSON::Object::Ptr>(), now));
  data.set("apps", apps);
  data.set("runs", run_rows(runs.value().runs));
  data.set("queue_depth", stats ? std::to_string(stats.value().queue_depth) : "?");
  data.set("version", TURNOUT_VERSION);
  data.set("uptime", uptime_text(sources.started));
  return {200, "overview.mustache", data, "Overview", "overview"};
}

PageAnswer runs_page(const PageSources& sources, const std::map<std::string, std::string>& query) {
  RunFilter filter{"", "", std::nullopt, std::nullopt, kPageRuns};
  for (const auto& [key, value] : query) {
    if (key == "repo") {
      filter.repo_name = value;
    } else if (key == "branch") {
      filter.branch = value;
    } else if (key == "status") {
      if (value.empty()) continue;
      filter.status = parse_run_status(value);
      if (!filter.status)
        return error_page(400, "Bad filter",
                          "status must be queued, running, succeeded, failed, cancelled, "
                          "superseded or error, not '" +
                              value + "'");
    } else if (key == "before") {
      filter.before = positive(value);
      if (!filter.before) return error_page(400, "Bad page", "before must be a run id, not '" + value + "'");
    } else {
      return error_page(400, "Bad filter",
                        "unknown parameter '" + key + "' (expected repo, branch, status, before)");
    }
  }
  const auto page = sources.runs.page(filter);
  if (!page) return error_page(500, "The store cannot be read", page.error().message);
  PageData data;
  data.set("runs", run_rows(page.value().runs));
  data.set("repo", filter.repo_name);
  data.set("branch", filter.branch);
  PageList statuses;
  for (const char* status :
       {"queued", "running", "succeeded", "failed", "cancelled", "superseded", "error"}) {
    PageData option;
    option.set("name", status);
    option.set("selected", filter.status && *filter.status == *parse_run_status(status));
    statuses.push_back(option);
  }
  data.set("statuses", statuses);
  if (page.value().more) {
    // Built here, each value percent-encoded: the engine HTML-escapes a value, which keeps a
    // branch `a&b` or `c+d` whole in the markup but not in the query the browser sends.
    data.set("older", "/runs?repo=" + util::percent_encode(filter.repo_name) +
                          "&branch=" + util::percent_encode(filter.branch) +
                          "&status=" + (filter.status ? to_string(*filter.status) : "") +
                          "&before=" + std::to_string(page.value().runs.back().id));
  }
  data.set("empty", page.value().runs.empty());
  return {200, "runs.mustache", data, "Runs", "runs"};
}

}  // namespace turnout::agent
