#include <cstdio>
#include <memory>

#include "agent/commands/command.h"
#include "agent/commands/data_dir.h"
#include "agent/run/exit_code.h"
#include "agent/run/run_json.h"
#include "agent/store/open_store.h"
#include "util/duration.h"
#include "util/strings.h"
#include "util/terminal_color.h"
#include "util/utc_time.h"

namespace turnout::agent {

namespace {

struct RunsOptions {
  int limit = 20;
  bool json = false;
  std::string repo;
  std::string branch;
  std::string status;
  DataDirFlags where;
};

// The colour of a status word at a terminal: the word itself always says it.
const char* status_color(RunStatus status) {
  switch (status) {
    case RunStatus::succeeded:
      return util::sgr::kGreen;
    case RunStatus::failed:
    case RunStatus::error:
      return util::sgr::kRed;
    case RunStatus::running:
      return util::sgr::kYellow;
    case RunStatus::queued:
      return util::sgr::kBlue;
    case RunStatus::cancelled:
    case RunStatus::superseded:
      break;
  }
  return util::sgr::kDim;
}

// The repository a run is of: agent.yml's name, else the folder or URL it was fetched from.
std::string repo_of(const RunRecord& run) {
  if (!run.repo_name.empty()) return run.repo_name;
  const auto slash = run.repo.find_last_of('/');
  return slash == std::string::npos ? run.repo : run.repo.substr(slash + 1);
}

std::string duration_of(const RunRecord& run) {
  const auto start = util::parse_utc(run.started_at);
  const auto end =
      run.finished_at.empty() ? std::chrono::system_clock::now() : util::parse_utc(run.finished_at);
  if (!start || !end) return "";
  return util::format_duration(std::chrono::duration_cast<util::Duration>(*end - *start));
}

// The run's steps' CPU time together and the largest peak memory of one, as `turnout logs`
// writes them on each step's end line; "-" for what no step recorded.
std::string cpu_of(const RunRecord& run) {
  const auto& cpu = run.resources.cpu_ms;
  return cpu ? util::format_duration(util::Duration(*cpu)) : "-";
}

std::string memory_of(const RunRecord& run) {
  const auto& peak = run.resources.peak_memory_bytes;
  return peak ? util::format_mebibytes(static_cast<std::uint64_t>(*peak)) : "-";
}

void print_table(const std::vector<RunRecord>& runs) {
  const bool color = util::wants_color(stdout);
  std::printf("%-6s %-10s %-24s %-14s %-16s %-12s %-10s %-24s %-8s %-8s %-6s %s\n", "ID", "STATUS", "REPO",
              "PIPELINE", "BRANCH", "SHA", "TRIGGER", "QUEUED", "TOOK", "CPU", "MEMORY", "REASON");
  for (const auto& run : runs) {
    // Padded before it is painted: escape codes have no width.
    char status[16];
    std::snprintf(status, sizeof(status), "%-10s", to_string(run.status));
    std::printf("%-6lld %s %-24s %-14s %-16s %-12s %-10s %-24s %-8s %-8s %-6s %s\n",
                static_cast<long long>(run.id), util::paint(color, status_color(run.status), status).c_str(),
                repo_of(run).c_str(), run.pipeline.c_str(), run.branch.c_str(), run.sha.substr(0, 12).c_str(),
                to_string(run.trigger), run.queued_at.c_str(), duration_of(run).c_str(), cpu_of(run).c_str(),
                memory_of(run).c_str(), run.reason.c_str());
  }
}

int list_runs(const RunsOptions& options) {
  if (options.limit < 1) return usage_error("runs", "--limit must be at least 1");
  RunFilter filter;
  filter.branch = options.branch;
  filter.limit = options.limit;
  // agent.yml's name (owner/name), or what `turnout run --repo` fetched (a URL or a folder).
  const bool fetched = options.repo.find("://") != std::string::npos || options.repo.rfind('/', 0) == 0 ||
                       options.repo.rfind('.', 0) == 0 || options.repo.find('@') != std::string::npos;
  (fetched ? filter.repo : filter.repo_name) = options.repo;
  if (!options.status.empty()) {
    filter.status = parse_run_status(options.status);
    if (!filter.status)
      return usage_error("runs",
                         "--status " + options.status + ": not a status (" + run_status_names() + ")");
  }
  const auto data_dir = existing_data_dir(options.where);
  if (!data_dir) return usage_error("runs", data_dir.error().message);
  auto store = open_store(data_dir.value());
  if (!store) return usage_error("runs", store.error().message);
  const auto page = store.value()->history.page(filter);
  if (!page) return usage_error("runs", page.error().message);
  const auto& runs = page.value().runs;
  if (options.json) {
    std::printf("%s\n", runs_to_json(runs).c_str());
  } else {
    print_table(runs);
  }
  return kExitSucceeded;
}

}  // namespace

Command runs_command() {
  return {"runs", "List recorded runs, newest first", [](CLI::App& app) -> CommandHandler {
            auto options = std::make_shared<RunsOptions>();
            app.add_option("--limit", options->limit, "How many runs")->capture_default_str();
            app.add_flag("--json", options->json, "Print a JSON array of run objects");
            app.add_option("--repo", options->repo,
                           "Only runs of this repository (agent.yml's name, or the URL)");
            app.add_option("--branch", options->branch, "Only runs of this branch");
            app.add_option("--status", options->status,
                           "Only runs with this status (queued, running, succeeded, failed, ...)");
            add_data_dir_flags(app, options->where);
            return [options] { return list_runs(*options); };
          }};
}

}  // namespace turnout::agent
