#include "agent/run/store_recorder.h"

#include <spdlog/spdlog.h>

#include "util/process_identity.h"
#include "util/utc_time.h"

namespace turnout::agent {

StoreRecorder::StoreRecorder(RunHistory& store, std::int64_t run_id) : store_(store), run_id_(run_id) {}

void StoreRecorder::check(const util::Status& status) const {
  if (!status) spdlog::warn("run {}: cannot record progress: {}", run_id_, status.error().message);
}

// A row whose write fails is kept until a later write of it succeeds.
void StoreRecorder::write_stage(const StageRecord& stage) {
  const auto written = store_.record_stage(run_id_, stage);
  check(written);
  if (written)
    unwritten_stages_.erase(stage.index);
  else
    unwritten_stages_[stage.index] = stage;
}

void StoreRecorder::write_step(int stage_index, const StepRecord& step) {
  const auto written = store_.record_step(run_id_, stage_index, step);
  check(written);
  if (written)
    unwritten_steps_.erase({stage_index, step.index});
  else
    unwritten_steps_[{stage_index, step.index}] = step;
}

UnwrittenProgress StoreRecorder::unwritten() const {
  UnwrittenProgress progress;
  for (const auto& [index, stage] : unwritten_stages_) progress.stages.push_back(stage);
  for (const auto& [key, step] : unwritten_steps_) progress.steps.emplace_back(key.first, step);
  return progress;
}

int StoreRecorder::stage_index(const pipeline::Stage& stage) const {
  // The runner hands out references into the pipeline it was given in run_started.
  return pipeline_ == nullptr ? 0 : static_cast<int>(&stage - pipeline_->stages.data());
}

void StoreRecorder::run_started(const pipeline::Pipeline& pipeline, const steps::RunContext&) {
  pipeline_ = &pipeline;
}

void StoreRecorder::stage_started(const pipeline::Stage& stage) {
  stage_started_at_ = util::utc_now();
  // A deploy stage runs as one step that is not in stage.steps (see steps/deploy_step.h).
  step_started_at_.assign(stage.deploy ? 1 : stage.steps.size(), "");
  write_stage({stage_index(stage), stage.name, steps::Status::running, "", stage_started_at_, "", {}});
}

void StoreRecorder::step_started(const pipeline::Stage& stage, const pipeline::Step& step) {
  current_step_ = stage.deploy ? 0 : static_cast<int>(&step - stage.steps.data());
  step_started_at_[current_step_] = util::utc_now();
  write_step(stage_index(stage), {current_step_, step.name, steps::Status::running, std::nullopt, "",
                                  step_started_at_[current_step_], ""});
}

void StoreRecorder::step_process_started(const pipeline::Stage& stage, const pipeline::Step&, pid_t pgid) {
  // Recorded so that, should this turnout be killed, the next one can end the step's group.
  if (const auto leader = util::identify(pgid)) {
    check(store_.record_step_group(run_id_, stage_index(stage), current_step_, *leader));
  }
}

void StoreRecorder::step_finished(const pipeline::Stage& stage, const steps::StepResult& result) {
  if (result.status == steps::Status::skipped || current_step_ < 0) return;  // recorded with the stage
  std::optional<int> exit_code;
  if (result.exit_code >= 0) exit_code = result.exit_code;
  StepRecord step{current_step_,  result.name,   result.status,
                  exit_code,      result.reason, step_started_at_[current_step_],
                  util::utc_now()};
  if (result.usage) {
    step.peak_memory_bytes = static_cast<std::int64_t>(result.usage->peak_memory_bytes);
    step.cpu_ms = result.usage->cpu.count();
  }
  step.pressure = result.pressure;
  write_step(stage_index(stage), step);
  current_step_ = -1;
}

void StoreRecorder::stage_finished(const pipeline::Stage& stage, const steps::StageResult& result) {
  const bool ran = result.status != steps::Status::skipped;
  write_stage({stage_index(stage),
               stage.name,
               result.status,
               result.reason,
               ran ? stage_started_at_ : "",
               ran ? util::utc_now() : "",
               {}});
  for (std::size_t i = 0; i < result.steps.size(); ++i) {
    const auto& step = result.steps[i];
    if (step.status != steps::Status::skipped) continue;  // the others were recorded as they ended
    write_step(stage_index(stage),
               {static_cast<int>(i), step.name, steps::Status::skipped, std::nullopt, step.reason, "", ""});
  }
}

}  // namespace turnout::agent
