#include "agent/run_executor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "agent/run_log.h"
#include "agent/store_recorder.h"
#include "git/repository_info.h"
#include "pipeline/loader.h"
#include "steps/environment.h"
#include "steps/runner.h"
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

std::optional<RunOutcome> read_secrets(const pipeline::Pipeline& pipeline, steps::RunContext& context) {
  for (const auto& name : pipeline.secrets) {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return reject(kExitUsage, "secret '" + name + "' (listed in " + pipeline.file +
                                    ") is not set in turnout's environment; export it and run again");
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
    return reject(kExitUsage, util::join(lines, "\n"));
  }
  prepared.pipeline = std::move(loaded.pipeline);
  if (auto rejected = check_stages(request, prepared.pipeline)) return rejected;
  return read_secrets(prepared.pipeline, prepared.context);
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

std::string failure_reason(const steps::RunResult& result) {
  for (const auto& stage : result.stages) {
    if (stage.status == steps::Status::failed && !stage.allowed_failure)
      return stage.name + ": " + stage.reason;
  }
  return "";
}

}  // namespace

RunExecutor::RunExecutor(std::string data_dir, RunStore& store, std::vector<steps::RunObserver*> observers,
                         const steps::CancelToken& cancel)
    : data_dir_(std::move(data_dir)), store_(store), observers_(std::move(observers)), cancel_(cancel) {}

RunOutcome RunExecutor::execute(const RunRequest& request) {
  Prepared prepared;
  auto fetched =
      request.remote.url.empty() ? use_folder(request, prepared) : sync_remote(data_dir_, request, prepared);
  if (fetched) return *fetched;
  if (auto rejected = load_pipeline(request, prepared)) return *rejected;

  auto& context = prepared.context;
  if (!request.branch.empty()) context.branch = request.branch;
  if (context.ref.empty() && !context.branch.empty()) context.ref = "refs/heads/" + context.branch;
  context.trigger = request.trigger;
  context.inherited_env = steps::inherited_environment(environ);

  const NewRun record{context.repo,           context.ref,     context.branch,  context.sha,
                      prepared.pipeline.name, request.trigger, request.rerun_of};
  const auto id = store_.create_run(record);
  if (!id) return reject(kExitFailed, id.error().message);
  context.run_id = std::to_string(id.value());
  if (auto started = store_.start_run(id.value(), prepared.pipeline.name); !started) {
    return reject(kExitFailed, started.error().message);
  }
  auto log = RunLog::create(run_log_path(data_dir_, id.value()));
  if (!log) {
    (void)store_.finish_run(id.value(), RunStatus::error, log.error().message);
    return {kExitFailed, id.value(), log.error().message};
  }
  if (prepared.checkout)
    log.value()->note("checked out " + context.sha + " (" + context.ref + ") from " + context.repo);

  StoreRecorder recorder(store_, id.value());
  std::vector<steps::RunObserver*> observers = observers_;
  observers.push_back(log.value().get());
  observers.push_back(&recorder);
  steps::RunnerOptions options;
  options.only_stages = request.stages;
  const auto result = steps::Runner(observers, cancel_, options).run(prepared.pipeline, context);
  if (auto finished = store_.finish_run(id.value(), run_status_for(result.status), failure_reason(result));
      !finished) {
    spdlog::warn("run {}: cannot record its end: {}", id.value(), finished.error().message);
  }
  return {agent::exit_code_for(result.status), id.value(), ""};
}

}  // namespace turnout::agent
