#include "agent/run/run_control.h"

#include <spdlog/spdlog.h>

namespace turnout::agent {

bool RunControl::stop(const RunEnding& ending) {
  std::lock_guard lock(mutex_);
  if (!ending_) ending_ = ending;
  if (in_deploy_) return false;
  token_.cancel();
  return true;
}

std::optional<RunEnding> RunControl::ending() const {
  std::lock_guard lock(mutex_);
  return ending_;
}

void RunControl::stage_started(const pipeline::Stage& stage) {
  std::lock_guard lock(mutex_);
  in_deploy_ = stage.deploy.has_value();
}

void RunControl::stage_finished(const pipeline::Stage&, const steps::StageResult&) {
  std::lock_guard lock(mutex_);
  in_deploy_ = false;
  if (ending_) token_.cancel();
}

RunEnding superseded_in_progress(std::int64_t newer) {
  return RunEnding{RunStatus::superseded,
                   "superseded by run " + std::to_string(newer) + " (cancelled in progress)", newer};
}

void stop_if_replaced(RunQueue& queue, std::int64_t id, RunControl& control) {
  const auto found = queue.preemptions();
  if (!found) {
    spdlog::error("run {}: {}", id, found.error().message);
    return;
  }
  for (const auto& preemption : found.value()) {
    if (preemption.running == id) control.stop(superseded_in_progress(preemption.newer));
  }
}

}  // namespace turnout::agent
