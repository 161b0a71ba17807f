#include <cstdio>
#include <memory>

#include "agent/commands/command.h"
#include "agent/commands/data_dir.h"
#include "agent/run/exit_code.h"
#include "agent/run/run_json.h"
#include "agent/store/open_store.h"
#include "util/duration.h"
#include "util/utc_time.h"

namespace turnout::agent {

namespace {

struct RunsOptions {
  int limit = 20;
  bool json = false;
  DataDirFlags where;
};

std::string duration_of(const RunRecord& run) {
  const auto start = util::parse_utc(run.started_at);
  const auto end =
      run.finished_at.empty() ? std::chrono::system_clock::now() : util::parse_utc(run.finished_at);
  if (!start || !end) return "";
  return util::format_duration(std::chrono::duration_cast<util::Duration>(*end - *start));
}

void print_table(const std::vector<RunRecord>& runs) {
  std::printf("%-6s %-10s %-14s %-16s %-12s %-10s %-24s %-8s %s\n", "ID", "STATUS", "PIPELINE", "BRANCH",
              "SHA", "TRIGGER", "QUEUED", "TOOK", "REASON");
  for (const auto& run : runs) {
    std::printf("%-6lld %-10s %-14s %-16s %-12s %-10s %-24s %-8s %s\n", static_cast<long long>(run.id),
                to_string(run.status), run.pipeline.c_str(), run.branch.c_str(),
                run.sha.substr(0, 12).c_str(), to_string(run.trigger), run.queued_at.c_str(),
                duration_of(run).c_str(), run.reason.c_str());
  }
}

int list_runs(const RunsOptions& options) {
  if (options.limit < 1) return usage_error("runs", "--limit must be at least 1");
  const auto data_dir = existing_data_dir(options.where);
  if (!data_dir) return usage_error("runs", data_dir.error().message);
  auto store = open_store(data_dir.value());
  if (!store) return usage_error("runs", store.error().message);
  const auto runs = store.value()->history.list(options.limit);
  if (!runs) return usage_error("runs", runs.error().message);
  if (options.json) {
    std::printf("%s\n", runs_to_json(runs.value()).c_str());
  } else {
    print_table(runs.value());
  }
  return kExitSucceeded;
}

}  // namespace

Command runs_command() {
  return {"runs", "List recorded runs, newest first", [](CLI::App& app) -> CommandHandler {
            auto options = std::make_shared<RunsOptions>();
            app.add_option("--limit", options->limit, "How many runs")->capture_default_str();
            app.add_flag("--json", options->json, "Print a JSON array of run objects");
            add_data_dir_flags(app, options->where);
            return [options] { return list_runs(*options); };
          }};
}

}  // namespace turnout::agent
