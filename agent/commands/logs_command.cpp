#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include "agent/commands/command.h"
#include "agent/commands/data_dir.h"
#include "agent/commands/log_follow.h"
#include "agent/commands/run_lookup.h"
#include "agent/run/exit_code.h"
#include "agent/run/run_log.h"
#include "agent/store/open_store.h"

namespace turnout::agent {

namespace {

struct LogsOptions {
  std::string id;
  bool follow = false;
  DataDirFlags where;
};

int show_logs(const LogsOptions& options) {
  if (const auto id = parse_run_id(options.id); !id) return usage_error("logs", id.error().message);
  const auto found = existing_data_dir(options.where);
  if (!found) return usage_error("logs", found.error().message);
  const auto& data_dir = found.value();
  auto store = open_store(data_dir);
  if (!store) return usage_error("logs", store.error().message);
  const auto run = find_run(store.value()->history, options.id);
  if (!run) return usage_error("logs", run.error().message);
  const auto path = run_log_path(data_dir, run.value().id);
  if (options.follow) {
    follow_log(store.value()->history, run.value().id, path);
    return kExitSucceeded;
  }
  if (!std::ifstream(path))
    return usage_error("logs", "run " + options.id + " has no log yet (" + path + ")");
  print_log_from(path, 0);
  return kExitSucceeded;
}

}  // namespace

Command logs_command() {
  return {"logs", "Print the log of a run", [](CLI::App& app) -> CommandHandler {
            auto options = std::make_shared<LogsOptions>();
            app.add_option("id", options->id, "The run's id (see turnout runs)")->required();
            app.add_flag("-f,--follow", options->follow, "Keep printing until the run ends");
            add_data_dir_flags(app, options->where);
            return [options] { return show_logs(*options); };
          }};
}

}  // namespace turnout::agent
