#include <cstdio>
#include <memory>

#include "agent/client/agent_presence.h"
#include "agent/commands/agent_call.h"
#include "agent/commands/command.h"
#include "agent/commands/data_dir.h"
#include "agent/commands/log_follow.h"
#include "agent/commands/run_lookup.h"
#include "agent/commands/signal_watcher.h"
#include "agent/run/console_reporter.h"
#include "agent/run/exit_code.h"
#include "agent/run/run_executor.h"
#include "agent/run/run_log.h"
#include "agent/store/open_store.h"

namespace turnout::agent {

namespace {

struct RerunOptions {
  std::string id;
  DataDirFlags where;
  bool detach = false;
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
  request.trigger = Trigger::rerun;
  request.rerun_of = run.id;
  return request;
}

// The agent runs the rerun, so it never overlaps the agent's own runs of that branch; this
// process only follows its log.
int rerun_through_agent(const AgentPresence& agent, RunHistory& store, const RerunOptions& options,
                        const RunRecord& run, const std::string& data_dir) {
  const auto answer = call_agent(agent, "/api/runs/" + std::to_string(run.id) + "/rerun");
  if (!answer) {
    std::fprintf(stderr, "turnout rerun: %s; retry, or stop the agent to rerun here\n",
                 answer.error().message.c_str());
    return kExitFailed;
  }
  if (answer.value().status != 202 || !answer.value().json->has("run")) {
    std::fprintf(stderr, "turnout rerun: the agent refused (HTTP %d): %s\n", answer.value().status,
                 refusal_of(answer.value()).c_str());
    return kExitFailed;
  }
  const auto id = answer.value().json->getValue<std::int64_t>("run");
  std::fprintf(stderr, "turnout rerun: run %lld queued on the agent at %s (rerun of run %s)\n",
               static_cast<long long>(id), agent.url.c_str(), options.id.c_str());
  if (options.detach) return kExitSucceeded;
  return follow_to_end(store, id, data_dir);
}

int rerun(const RerunOptions& options) {
  if (const auto id = parse_run_id(options.id); !id) return usage_error("rerun", id.error().message);
  const auto found = existing_data_dir(options.where);
  if (!found) return usage_error("rerun", found.error().message);
  const auto& data_dir = found.value();
  auto store = open_store(data_dir);
  if (!store) return usage_error("rerun", store.error().message);
  const auto run = find_run(store.value()->history, options.id);
  if (!run) return usage_error("rerun", run.error().message);
  const auto request = rerun_request(run.value());
  if (!request) return usage_error("rerun", request.error().message);
  if (const auto agent = find_serving_agent(data_dir))
    return rerun_through_agent(*agent, store.value()->history, options, run.value(), data_dir);
  if (options.detach)
    return usage_error("rerun", "--detach needs an agent serving " + data_dir + " (turnout serve)");

  steps::CancelToken cancel;
  const SignalWatcher signals(cancel);
  ConsoleReporter console(stdout, wants_color(stdout));
  const auto outcome =
      RunExecutor(data_dir, store.value()->history, {&console}).execute(request.value(), cancel);
  if (!outcome.message.empty()) std::fprintf(stderr, "turnout rerun: %s\n", outcome.message.c_str());
  if (outcome.run_id != 0)
    std::fprintf(stderr, "turnout rerun: run %lld reran run %s\n", static_cast<long long>(outcome.run_id),
                 options.id.c_str());
  return outcome.code;
}

}  // namespace

Command rerun_command() {
  return {
      "rerun",
      "Run a recorded run again: same repository and commit (through the agent when one serves the data dir)",
      [](CLI::App& app) -> CommandHandler {
        auto options = std::make_shared<RerunOptions>();
        app.add_option("id", options->id, "The run's id (see turnout runs)")->required();
        add_data_dir_flags(app, options->where);
        app.add_flag("--detach", options->detach,
                     "With an agent serving the data dir: queue the rerun there and return at once");
        return [options] { return rerun(*options); };
      }};
}

}  // namespace turnout::agent
