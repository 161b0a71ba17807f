#include <cstdio>
#include <memory>

#include "agent/commands/command.h"
#include "agent/commands/run_lookup.h"
#include "agent/console_reporter.h"
#include "agent/data_dir.h"
#include "agent/exit_code.h"
#include "agent/open_store.h"
#include "agent/run_executor.h"
#include "agent/signal_watcher.h"

namespace turnout::agent {

namespace {

struct RerunOptions {
  std::string id;
  std::string data_dir;
};

/// The same repository and commit as `run`, recorded as its rerun.
util::Result<RunRequest> rerun_request(const RunRecord& run) {
  if (run.sha.empty()) {
    return util::fail("run " + std::to_string(run.id) + " ran in " + run.repo +
                          ", a folder that is not a git repository: there is no commit to run again",
                      util::ErrorKind::invalid);
  }
  RunRequest request;
  request.remote.url = run.repo;
  request.remote.sha = run.sha;
  request.branch = run.branch;
  request.trigger = "rerun";
  request.rerun_of = run.id;
  return request;
}

int rerun(const RerunOptions& options) {
  const auto data_dir = resolve_data_dir(options.data_dir);
  auto store = open_store(data_dir);
  if (!store) return usage_error("rerun", store.error().message);
  const auto run = find_run(*store.value(), options.id);
  if (!run) return usage_error("rerun", run.error().message);
  const auto request = rerun_request(run.value());
  if (!request) return usage_error("rerun", request.error().message);

  steps::CancelToken cancel;
  const SignalWatcher signals(cancel);
  ConsoleReporter console(stdout, wants_color(stdout));
  const auto outcome = RunExecutor(data_dir, *store.value(), {&console}, cancel).execute(request.value());
  if (!outcome.message.empty()) std::fprintf(stderr, "turnout rerun: %s\n", outcome.message.c_str());
  if (outcome.run_id != 0)
    std::fprintf(stderr, "turnout rerun: run %lld reran run %s\n", static_cast<long long>(outcome.run_id),
                 options.id.c_str());
  return outcome.code;
}

}  // namespace

Command rerun_command() {
  return {"rerun", "Run a recorded run again: same repository and commit",
          [](CLI::App& app) -> CommandHandler {
            auto options = std::make_shared<RerunOptions>();
            app.add_option("id", options->id, "The run's id (see turnout runs)")->required();
            app.add_option("--data-dir", options->data_dir, "Where turnout keeps state");
            return [options] { return rerun(*options); };
          }};
}

}  // namespace turnout::agent
