#include "agent/report/status_observer.h"

#include <spdlog/spdlog.h>

#include "steps/deploy/app_state.h"
#include "util/duration.h"

namespace turnout::agent {

namespace {

// The first failed step of a stage, for `test failed: step "unit" exited 1`.
const steps::StepResult* failed_step(const steps::StageResult& result) {
  for (const auto& step : result.steps) {
    if (step.status == steps::Status::failed) return &step;
  }
  return nullptr;
}

std::string stage_end_text(const steps::StageResult& result) {
  switch (result.status) {
    case steps::Status::succeeded:
      return result.name + " passed in " + util::format_duration(result.duration);
    case steps::Status::failed:
      if (const auto* step = failed_step(result))
        return failure_description(result.name, step->name, step->reason);
      return failure_description(result.name, "", result.reason);
    case steps::Status::cancelled:
      return result.name + " cancelled" + (result.reason.empty() ? "" : ": " + result.reason);
    default:
      return result.name + " " + steps::to_string(result.status);
  }
}

CommitState stage_state(const steps::StageResult& result) {
  if (result.status == steps::Status::succeeded) return CommitState::success;
  // A failure that `continue_on_error` allowed is still a failure of that stage.
  if (result.status == steps::Status::failed) return CommitState::failure;
  if (result.status == steps::Status::cancelled) return CommitState::cancelled;
  return CommitState::error;
}

}  // namespace

StatusObserver::StatusObserver(Reporting& reporting, std::shared_ptr<const RepoReporting> repo)
    : reporting_(reporting), repo_(std::move(repo)) {}

void StatusObserver::run_started(const pipeline::Pipeline& pipeline, const steps::RunContext& context) {
  pipeline_ = pipeline.name;
  sha_ = context.sha;
  data_dir_ = context.data_dir;
  run_id_ = std::strtoll(context.run_id.c_str(), nullptr, 10);
  reporting_.run_started(run_id_, [&] {
    if (repo_->statuses) status("", CommitState::running, "running as run " + context.run_id);
  });
}

void StatusObserver::stage_started(const pipeline::Stage& stage) {
  if (repo_->statuses) status(stage.name, CommitState::running, stage.name + " running");
  if (stage.deploy && repo_->deployments) start_deployment(stage);
}

void StatusObserver::stage_finished(const pipeline::Stage& stage, const steps::StageResult& result) {
  // A skipped stage never started: nothing of it was reported, and nothing is to close.
  if (result.status == steps::Status::skipped) return;
  if (repo_->statuses) status(stage.name, stage_state(result), stage_end_text(result));
  if (stage.deploy && repo_->deployments) end_deployment(stage, result);
}

void StatusObserver::status(const std::string& stage, CommitState state, const std::string& description) {
  if (sha_.empty()) return;  // a folder that is no checkout: no commit to put a status on
  reporting_.status(*repo_, run_id_, sha_, state, status_context(pipeline_, stage), description);
}

void StatusObserver::start_deployment(const pipeline::Stage& stage) {
  if (sha_.empty()) return;
  const auto key = "deployment " + std::to_string(run_id_) + " " + stage.name;
  deployment_ = reporting_.deployment(*repo_, key, sha_,
                                      "run " + std::to_string(run_id_) + ": " + stage.deploy->app, run_id_);
  if (deployment_)
    reporting_.deployment_status(*repo_, key, *deployment_, DeploymentState::in_progress,
                                 stage.name + " running", run_id_);
}

void StatusObserver::end_deployment(const pipeline::Stage& stage, const steps::StageResult& result) {
  if (!deployment_) return;
  const auto key = "deployment " + std::to_string(run_id_) + " " + stage.name;
  const bool ok = result.status == steps::Status::succeeded;
  reporting_.deployment_status(*repo_, key, *deployment_,
                               ok ? DeploymentState::success : DeploymentState::failure,
                               stage_end_text(result), run_id_);
  deployment_.reset();
  // Only a deploy that failed after the switch moved traffic back (steps/deploy/blue_green.cpp
  // says so in its reason); one that failed before it never moved traffic at all.
  if (!ok && result.reason.find("traffic is back on slot") != std::string::npos) report_rollback(stage);
}

// A deploy that failed after the switch put traffic back on the previous slot: the commit
// that slot runs is deployed again, as far as anyone looking at GitHub can tell.
void StatusObserver::report_rollback(const pipeline::Stage& stage) {
  const auto state = steps::deploy::load_app_state(steps::deploy::app_dir(data_dir_, stage.deploy->app));
  if (!state || !state.value().live) return;
  const auto live = state.value().slots.find(*state.value().live);
  if (live == state.value().slots.end() || live->second.sha.empty() || live->second.sha == sha_) return;
  // The failed deployment's key: the rollback goes out after that deployment's failure.
  const auto key = "deployment " + std::to_string(run_id_) + " " + stage.name;
  const auto description = "rollback: " + stage.deploy->app + " back on " + short_sha(live->second.sha) +
                           " after " + short_sha(sha_) + " failed";
  const auto rollback = reporting_.deployment(*repo_, key, live->second.sha, description, run_id_);
  if (rollback)
    reporting_.deployment_status(*repo_, key, *rollback, DeploymentState::success, description, run_id_);
  spdlog::info("run {}: deploy of {} rolled back to {}: reported as a new deployment", run_id_,
               short_sha(sha_), short_sha(live->second.sha));
}

}  // namespace turnout::agent
