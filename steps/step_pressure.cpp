#include "steps/step_pressure.h"

namespace turnout::steps {

namespace {

std::optional<util::PressureStall> read_totals(util::PressureScope scope, const std::string& dir) {
  auto totals = util::read_pressure_totals(scope, dir);
  if (!totals) return std::nullopt;
  return totals.value();
}

}  // namespace

StepPressureMeter::StepPressureMeter(const std::string& group_dir, const std::string& machine_dir)
    : scope_(util::PressureScope::cgroup), dir_(group_dir) {
  if (!group_dir.empty()) start_ = read_totals(scope_, dir_);
  // A group without pressure files (PSI switched off for it): the machine's are the next best.
  if (!start_) {
    scope_ = util::PressureScope::machine;
    dir_ = machine_dir;
    start_ = read_totals(scope_, dir_);
  }
}

std::optional<StepPressure> StepPressureMeter::finish() const {
  if (!start_) return std::nullopt;
  const auto end = read_totals(scope_, dir_);
  if (!end) return std::nullopt;
  const auto stall = util::stall_between(*start_, *end);
  if (!stall) return std::nullopt;
  return StepPressure{scope_, *stall};
}

}  // namespace turnout::steps
