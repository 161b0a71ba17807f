#include "steps/runner.h"

#include <algorithm>
#include <chrono>

#include "steps/deploy_step.h"
#include "steps/secret_masker.h"
#include "steps/shell_step.h"
#include "util/strings.h"

namespace turnout::steps {

namespace {

using Clock = std::chrono::steady_clock;

util::Duration since(Clock::time_point start) {
  return std::chrono::duration_cast<util::Duration>(Clock::now() - start);
}

std::vector<std::string> secret_values(const RunContext& context) {
  std::vector<std::string> values;
  for (const auto& [name, value] : context.secrets) values.push_back(value);
  return values;
}

StepResult skipped_step(const pipeline::Step& step, std::string reason) {
  StepResult result;
  result.name = step.name;
  result.status = Status::skipped;
  result.reason = std::move(reason);
  return result;
}

std::string failure_reason(const StepResult& step) { return "step '" + step.name + "' " + step.reason; }

}  // namespace

std::string branch_mismatch(const pipeline::Stage& stage, const std::string& branch) {
  const auto& patterns = stage.when.branches;
  if (patterns.empty()) return "";
  if (branch.empty()) return "branch unknown; stage runs only on " + util::join(patterns, ", ");
  const bool matches = std::any_of(patterns.begin(), patterns.end(), [&](const std::string& pattern) {
    return util::glob_match(pattern, branch);
  });
  return matches ? "" : "branch '" + branch + "' not in " + util::join(patterns, ", ");
}

Runner::Runner(std::vector<RunObserver*> observers, const CancelToken& cancel, RunnerOptions options)
    : observers_(std::move(observers)), cancel_(cancel), options_(std::move(options)) {}

bool Runner::selected(const pipeline::Stage& stage) const {
  const auto& only = options_.only_stages;
  return only.empty() || std::find(only.begin(), only.end(), stage.name) != only.end();
}

RunResult Runner::run(const pipeline::Pipeline& pipeline, const RunContext& context) {
  const auto start = Clock::now();
  const SecretMasker masker(secret_values(context));
  for (auto* observer : observers_) observer->run_started(pipeline, context);

  RunResult run;
  run.status = Status::succeeded;
  for (const auto& stage : pipeline.stages) {
    if (!selected(stage)) continue;
    StageResult result;
    if (run.status == Status::cancelled || cancel_.cancelled()) {
      run.status = Status::cancelled;
      result = skip_stage(stage, Status::skipped, "the run was cancelled");
    } else if (run.status == Status::failed) {
      result = skip_stage(stage, Status::skipped, "an earlier stage failed");
    } else if (auto mismatch = branch_mismatch(stage, context.branch); !mismatch.empty()) {
      result = skip_stage(stage, Status::skipped, std::move(mismatch));
    } else {
      result = run_stage(pipeline, stage, context, masker);
      if (result.status == Status::cancelled) run.status = Status::cancelled;
      if (result.status == Status::failed && !result.allowed_failure) run.status = Status::failed;
    }
    run.stages.push_back(std::move(result));
  }
  run.duration = since(start);
  for (auto* observer : observers_) observer->run_finished(run);
  return run;
}

StageResult Runner::skip_stage(const pipeline::Stage& stage, Status status, std::string reason) {
  StageResult result;
  result.name = stage.name;
  result.status = status;
  result.reason = std::move(reason);
  for (const auto& step : stage.steps) result.steps.push_back(skipped_step(step, result.reason));
  for (auto* observer : observers_) observer->stage_finished(stage, result);
  return result;
}

StageResult Runner::run_stage(const pipeline::Pipeline& pipeline, const pipeline::Stage& stage,
                              const RunContext& context, const SecretMasker& masker) {
  const auto start = Clock::now();
  for (auto* observer : observers_) observer->stage_started(stage);
  StageResult result;
  result.name = stage.name;
  result.status = Status::succeeded;
  // A deploy stage is reported as one step, `deploy <app>`.
  const std::vector<pipeline::Step> deploy_steps =
      stage.deploy ? std::vector{deploy_step_of(stage)} : std::vector<pipeline::Step>{};
  // A reference into the stage's own steps: observers tell a step by its place in stage.steps.
  const auto& steps = stage.deploy ? deploy_steps : stage.steps;
  const ShellStepEnv env{context,         pipeline,         stage, masker, cancel_, options_.kill_grace,
                         options_.cgroup, &options_.traffic};
  for (const auto& step : steps) {
    if (result.status != Status::succeeded) {
      const bool cancelled = result.status == Status::cancelled;
      result.steps.push_back(
          skipped_step(step, cancelled ? "the run was cancelled" : "an earlier step failed"));
      for (auto* observer : observers_) observer->step_finished(stage, result.steps.back());
      continue;
    }
    for (auto* observer : observers_) observer->step_started(stage, step);
    const OutputSink sink = [&](Stream stream, std::chrono::system_clock::time_point time,
                                std::string_view text) {
      const LogLine line{stage.name, step.name, stream, time, text};
      for (auto* observer : observers_) observer->log_line(line);
    };
    const auto started = [&](pid_t pgid) {
      for (auto* observer : observers_) observer->step_process_started(stage, step, pgid);
    };
    StepResult step_result =
        stage.deploy ? run_deploy_step(step, env, sink) : run_shell_step(step, env, sink, started);
    for (auto* observer : observers_) observer->step_finished(stage, step_result);
    if ((step_result.status == Status::failed && !step_result.allowed_failure) ||
        step_result.status == Status::cancelled) {
      result.status = step_result.status;
      result.reason = failure_reason(step_result);
    }
    result.steps.push_back(std::move(step_result));
  }
  result.allowed_failure = result.status == Status::failed && stage.continue_on_error;
  result.duration = since(start);
  for (auto* observer : observers_) observer->stage_finished(stage, result);
  return result;
}

}  // namespace turnout::steps
