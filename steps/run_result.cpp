#include "steps/run_result.h"

namespace turnout::steps {

std::string run_failure_reason(const RunResult& result) {
  for (const auto& stage : result.stages) {
    if (stage.status == Status::failed && !stage.allowed_failure) return stage.name + ": " + stage.reason;
  }
  return "";
}

}  // namespace turnout::steps
