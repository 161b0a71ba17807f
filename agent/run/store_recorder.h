#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "agent/store/run_history.h"
#include "steps/run_observer.h"

namespace turnout::agent {

/// Keeps the store's stages and steps of one run up to date as it runs, so `turnout runs`,
/// the API and the dashboard see a step as running while it runs. A store error is logged,
/// never thrown: the build goes on, and the rows the store could not write are kept
/// (`unwritten`) to be written with the run's end.
class StoreRecorder : public steps::RunObserver {
 public:
  /// Records into `store` (not owned) for run `run_id`.
  StoreRecorder(RunHistory& store, std::int64_t run_id);

  void run_started(const pipeline::Pipeline& pipeline, const steps::RunContext& context) override;
  void stage_started(const pipeline::Stage& stage) override;
  void step_started(const pipeline::Stage& stage, const pipeline::Step& step) override;
  void step_process_started(const pipeline::Stage& stage, const pipeline::Step& step, pid_t pgid) override;
  void step_finished(const pipeline::Stage& stage, const steps::StepResult& result) override;
  void stage_finished(const pipeline::Stage& stage, const steps::StageResult& result) override;

  /// The newest row of each stage and step whose last write failed.
  UnwrittenProgress unwritten() const;

 private:
  int stage_index(const pipeline::Stage& stage) const;
  void check(const util::Status& status) const;
  void write_stage(const StageRecord& stage);
  void write_step(int stage_index, const StepRecord& step);

  RunHistory& store_;
  std::int64_t run_id_;
  const pipeline::Pipeline* pipeline_ = nullptr;
  std::string stage_started_at_;
  std::vector<std::string> step_started_at_;
  int current_step_ = -1;
  std::map<int, StageRecord> unwritten_stages_;                // by stage index
  std::map<std::pair<int, int>, StepRecord> unwritten_steps_;  // by (stage index, step index)
};

}  // namespace turnout::agent
