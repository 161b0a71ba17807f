#include "agent/run_control.h"

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

}  // namespace turnout::agent
