#pragma once
// The pressure (PSI) a step saw: how long tasks stalled on CPU, memory and I/O from the step's
// start to its end. With a run's cgroup v2 group, the group's own pressure files: the stalls of
// the step's processes. Without one, the machine's /proc/pressure: the step ran while the
// machine stalled that long, which says it waited, not that it was the cause. The source goes
// with the figures, so nobody reads the one for the other. A kernel without PSI gives none.

#include <optional>
#include <string>

#include "util/pressure_stall.h"

namespace turnout::steps {

/// The stalls of one step and whose they are.
struct StepPressure {
  util::PressureScope source = util::PressureScope::machine;  ///< the run's group, or the machine
  util::PressureStall stall;                                  ///< from the step's start to its end
};

/// Reads the pressure totals when a step starts, and again when it ends.
class StepPressureMeter {
 public:
  /// Reads the totals now: of the run's group `group_dir`, or of the machine (`machine_dir`)
  /// when `group_dir` is "" or its files cannot be read. When neither can (no PSI), no figures.
  explicit StepPressureMeter(const std::string& group_dir, const std::string& machine_dir = "/proc/pressure");

  /// The stalls since construction; nullopt when either reading failed or a total went down.
  std::optional<StepPressure> finish() const;

 private:
  util::PressureScope scope_;
  std::string dir_;
  std::optional<util::PressureStall> start_;
};

}  // namespace turnout::steps
