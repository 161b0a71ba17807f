#include "agent/run/run_executor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "agent/run/run_log.h"
#include "agent/run/store_recorder.h"
#include "git/repository_info.h"
#include "steps/environment.h"
#include "steps/process_limits.h"
#include "steps/run_cgroup.h"
#include "steps/runner.h"
#include "util/idle_thread.h"
#include "util/strings.h"

extern char** environ;

namespace turnout::agent {

namespace {

/// The code and pipeline of a run, validated and ready to record.
struct Prepared {
  std::optional<git::Checkout> checkout;  // holds the workspace's lease while the run lasts
  pipeline::Pipeline pipeline;
  steps::RunContext context;
};

RunOutcome reject(ExitCode code, std::string message) { return {code, 0, std::move(message)}; }

// Bad input is exit 2; a remote that fails while we talk to it is a failed run (exit 1).
ExitCode exit_code_for(const util::Error& error) {
  const bool input = error.kind == util::ErrorKind::invalid || error.kind == util::ErrorKind::not_found;
  return input ? kExitUsage : kExitFailed;
}

std::optional<RunOutcome> use_folder(const RunRequest& request, Prepared& prepared) {
  std::error_code error;
  const auto folder = std::filesystem::canonical(request.dir, error);
  if (error || !std::filesystem::is_directory(folder))
    return reject(kExitUsage, "--dir " + request.dir + ": no such directory");
  auto& context = prepared.context;
  context.workspace = folder.string();
  if (const auto checkout = git::describe_checkout(context.workspace)) {
    context.branch = checkout->branch;
    context.sha = checkout->sha;
  }
  context.repo = context.workspace;
  return std::nullopt;
}

std::optional<RunOutcome> sync_remote(const std::string& data_dir, const RunRequest& request,
                                      Prepared& prepared) {
  auto checkout = git::Mirrors(data_dir).sync(request.remote);
  if (!checkout) return reject(exit_code_for(checkout.error()), checkout.error().message);
  auto& context = prepared.context;
  context.workspace = checkout.value().workspace;
  context.sha = checkout.value().sha;
  context.ref = checkout.value().ref;
  context.branch = checkout.value().branch;
  context.repo = request.remote.url;
  prepared.checkout.emplace(std::move(checkout.value()));
  return std::nullopt;
}

std::optional<RunOutcome> check_stages(const RunRequest& request, const pipeline::Pipeline& pipeline) {
  std::vector<std::string> names;
  for (const auto& stage : pipeline.stages) names.push_back(stage.name);
  for (const auto& wanted : request.stages) {
    if (std::find(names.begin(), names.end(), wanted) != names.end()) continue;
    return reject(kExitUsage, "unknown stage '" + wanted + "'" + util::did_you_mean(wanted, names) +
                                  "; the pipeline has: " + util::join(names, ", "));
  }
  return std::nullopt;
}

// How a secret reaches the process that runs: a person's shell for `turnout run`, the agent's
// service environment for what the agent runs.
std::string how_to_give(const std::string& name, Trigger trigger) {
  if (trigger == Trigger::cli || trigger == Trigger::actions)
    return "is not set in turnout's environment; export it and run again";
  return "is not in the agent's environment: give it to turnout serve (with the package's unit: a line " +
         name +
         "=... in /etc/turnout/env, its EnvironmentFile=, then `systemctl restart turnout`), then rerun";
}

std::optional<RunOutcome> read_secrets(const pipeline::Pipeline& pipeline, steps::RunContext& context,
                                       Trigger trigger) {
  for (const auto& name : pipeline.secrets) {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return reject(kExitUsage,
                    "secret '" + name + "' (listed in " + pipeline.file + ") " + how_to_give(name, trigger));
    }
    context.secrets[name] = value;
  }
  return std::nullopt;
}

// The pipeline comes from the checkout: the commit being built, never turnout's own disk.
std::optional<RunOutcome> load_pipeline(const RunRequest& request, Prepared& prepared) {
  const auto file =
      (std::filesystem::path(prepared.context.workspace) / request.pipeline_file).lexically_normal();
  auto loaded = pipeline::load_file(file.string());
  if (!loaded.ok()) {
    std::vector<std::string> lines;
    for (const auto& error : loaded.errors) lines.push_back(error.to_string());
    auto rejected = reject(kExitUsage, util::join(lines, "\n"));
    rejected.problems = std::move(loaded.errors);
    return rejected;
  }
  prepared.pipeline = std::move(loaded.pipeline);
  if (auto rejected = check_stages(request, prepared.pipeline)) return rejected;
  return read_secrets(prepared.pipeline, prepared.context, request.trigger);
}

RunStatus run_status_for(steps::Status status) {
  switch (status) {
    case steps::Status::succeeded:
      return RunStatus::succeeded;
    case steps::Status::cancelled:
      return RunStatus::cancelled;
    default:
      return RunStatus::failed;
  }
}

// Records how the run ended; the ending, stamped with its time, when the store cannot write it
// (told in the agent's log): the run is over either way, and its caller records it again later.
std::optional<RunEnding> record_end(RunHistory& store, std::int64_t id, const RunEnding& unstamped) {
  const auto ending = stamped(unstamped);
  auto finished = store.finish_run(id, ending);
  if (finished) return std::nullopt;
  spdlog::warn("run {}: cannot record its end: {}", id, finished.error().message);
  return ending;
}

// A run that cannot have a log ends `error` with the reason.
RunOutcome without_log(RunHistory& store, std::int64_t id, const std::string& why) {
  RunOutcome outcome{kExitFailed, id, "cannot write the run's log: " + why};
  outcome.unrecorded_end = record_end(store, id, {RunStatus::error, why});
  return outcome;
}

// How a run ends that the Runner finished: as a stop asked (superseded, interrupted...) when
// it was cancelled by one, else as the result says.
RunEnding ending_for(const steps::RunResult& result, const RunControl* control) {
  if (result.status == steps::Status::cancelled && control != nullptr) {
    if (auto asked = control->ending()) return *asked;
  }
  return RunEnding{run_status_for(result.status), steps::run_failure_reason(result)};
}

/// A run's cgroup v2 group, or why it has none.
struct RunGroup {
  std::unique_ptr<steps::RunCgroup> group;
  std::string why_not;
};

// The run's own group where this machine delegates a cgroup v2 tree to turnout.
RunGroup run_cgroup(const std::string& run_id) {
  const auto& isolation = steps::machine_cgroup_isolation();
  if (isolation.parent.empty()) return {nullptr, isolation.why_not};
  auto made = steps::RunCgroup::create(isolation.parent, run_id);
  if (!made) return {nullptr, made.error().message};
  return {std::move(made.value()), ""};
}

/// What a run needs besides its pipeline and context.
struct Execution {
  RunHistory& store;
  const std::string& data_dir;
  std::vector<steps::RunObserver*> observers;
  const steps::CancelToken& cancel;
  const RunControl* control;
  const steps::deploy::FeedAccess& traffic;
};

// Runs a prepared, recorded, running run to its end and records the end.
RunOutcome run_recorded(const Execution& execution, std::int64_t id, Prepared& prepared,
                        const RunRequest& request, RunLog& log) {
  auto& context = prepared.context;
  context.run_id = std::to_string(id);
  if (prepared.checkout)
    log.note("checked out " + context.sha + " (" + context.ref + ") from " + context.repo);
  const auto group = run_cgroup(context.run_id);
  // Once per run, what a step's `resources:` can and cannot enforce on this machine.
  log.note(steps::describe_isolation(prepared.pipeline.resources.within(pipeline::default_resources()),
                                     group.group ? group.group->dir() : "", group.why_not,
                                     steps::scheduler_traits()));
  StoreRecorder recorder(execution.store, id);
  std::vector<steps::RunObserver*> observers = execution.observers;
  observers.push_back(&log);
  observers.push_back(&recorder);
  steps::RunnerOptions options;
  options.only_stages = request.stages;
  options.cgroup = group.group.get();
  options.traffic = execution.traffic;
  const auto result = steps::Runner(observers, execution.cancel, options).run(prepared.pipeline, context);
  RunOutcome outcome{agent::exit_code_for(result.status), id, ""};
  auto ending = ending_for(result, execution.control);
  ending.progress = recorder.unwritten();
  outcome.unrecorded_end = record_end(execution.store, id, ending);
  return outcome;
}

// Fills what the request and the environment say into the prepared context.
void complete_context(const RunRequest& request, const std::string& data_dir, Prepared& prepared) {
  auto& context = prepared.context;
  context.data_dir = data_dir;
  if (!request.branch.empty()) context.branch = request.branch;
  if (context.ref.empty() && !context.branch.empty()) context.ref = "refs/heads/" + context.branch;
  context.trigger = to_string(request.trigger);
  context.pipeline_file = request.pipeline_file;
  context.inherited_env = steps::inherited_environment(environ);
}

// Why a webhook run of `branch` should not run its pipeline (`on.branches`), or "".
std::string not_on_branches(const pipeline::Pipeline& pipeline, const std::string& branch) {
  if (pipeline.branches.empty() || branch.empty()) return "";
  for (const auto& pattern : pipeline.branches) {
    if (util::glob_match(pattern, branch)) return "";
  }
  return "branch '" + branch + "' is not in the pipeline's on.branches (" +
         util::join(pipeline.branches, ", ") + ")";
}

}  // namespace

RunExecutor::RunExecutor(std::string data_dir, RunHistory& store, std::vector<steps::RunObserver*> observers,
                         steps::deploy::FeedAccess traffic)
    : data_dir_(std::move(data_dir)),
      store_(store),
      observers_(std::move(observers)),
      traffic_(std::move(traffic)) {
  // Only `turnout serve` receives the feed (its port is the data folder's, and one process binds it).
  if (traffic_.feed == nullptr && traffic_.why_not.empty())
    traffic_.why_not =
        "no traffic feed in this process (`turnout run` receives it itself only when the data folder has "
        "a feed endpoint, made by a deploy with `feed: true`, and no agent holds its port)";
}

RunOutcome RunExecutor::execute(const RunRequest& request, const steps::CancelToken& cancel) {
  Prepared prepared;
  auto fetched =
      request.remote.url.empty() ? use_folder(request, prepared) : sync_remote(data_dir_, request, prepared);
  if (fetched) return *fetched;
  if (auto rejected = load_pipeline(request, prepared)) return *rejected;
  complete_context(request, data_dir_, prepared);

  const auto& context = prepared.context;
  const NewRun record{context.repo,           context.ref,     context.branch,  context.sha,
                      prepared.pipeline.name, request.trigger, request.rerun_of};
  const auto id = store_.create_run(record);
  if (!id) return reject(kExitFailed, id.error().message);
  if (auto started = store_.start_run(id.value(), prepared.pipeline.name); !started) {
    return reject(kExitFailed, started.error().message);
  }
  auto log = RunLog::create(run_log_path(data_dir_, id.value()));
  if (!log) return without_log(store_, id.value(), log.error().message);
  return run_recorded({store_, data_dir_, observers_, cancel, nullptr, traffic_}, id.value(), prepared,
                      request, *log.value());
}

RunOutcome RunExecutor::execute_claimed(const RunRecord& run, const RunRequest& request, RunControl& control,
                                        RunQueue& queue) {
  // Before its steps, a run's own work (its log's file, the fetch and checkout) yields to the
  // agent's intake and the slots, as the steps do: under a flood of pushes whose runs fail at
  // the fetch, it took more CPU than the intake itself (BENCHMARKS.md, "Webhook intake").
  auto opened = util::on_idle_thread([&] { return RunLog::create(run_log_path(data_dir_, run.id)); });
  if (!opened) return without_log(store_, run.id, opened.error().message);
  const auto& log = opened.value();
  // Nothing of this run may end without its reason in the log and the store.
  const auto end_early = [&](RunStatus status, const std::string& why) {
    log->note(why);
    RunOutcome outcome{status == RunStatus::error ? kExitFailed : kExitUsage, run.id, why};
    outcome.unrecorded_end = record_end(store_, run.id, {status, why});
    return outcome;
  };
  Prepared prepared;
  if (auto fetched = util::on_idle_thread([&] { return sync_remote(data_dir_, request, prepared); }))
    return end_early(RunStatus::error, fetched->message);
  // A branch's head asked for by hand (turnout trigger): from now on the run is of this commit.
  if (run.sha.empty()) {
    if (auto recorded = store_.set_commit(run.id, prepared.context.sha); !recorded)
      spdlog::warn("run {}: {}", run.id, recorded.error().message);
  }
  if (auto rejected = load_pipeline(request, prepared))
    return end_early(RunStatus::failed, rejected->message);
  // Only a guide for the next push of the branch (RunQueue reads the newest recorded one): a
  // failure to record it is logged, and the run goes on.
  if (auto recorded = store_.set_pipeline(run.id, prepared.pipeline.name, prepared.pipeline.concurrency);
      !recorded)
    spdlog::warn("run {}: {}", run.id, recorded.error().message);
  if (prepared.pipeline.concurrency == pipeline::Concurrency::cancel_in_progress)
    stop_if_replaced(queue, run.id, control);
  if (auto why = not_on_branches(prepared.pipeline, run.branch); !why.empty())
    return end_early(RunStatus::cancelled, why);
  complete_context(request, data_dir_, prepared);
  std::vector<steps::RunObserver*> observers = observers_;
  observers.push_back(&control);
  return run_recorded({store_, data_dir_, observers, control.token(), &control, traffic_}, run.id, prepared,
                      request, *log);
}

}  // namespace turnout::agent
