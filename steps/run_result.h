#pragma once
// What a run, its stages and its steps came to: plain data for observers, the store and the CLI.

#include <optional>
#include <string>
#include <vector>

#include "steps/process_limits.h"
#include "steps/status.h"
#include "steps/step_pressure.h"
#include "util/duration.h"

namespace turnout::steps {

/// How one step ended.
struct StepResult {
  std::string name;                        ///< the step's name
  Status status = Status::pending;         ///< succeeded, failed, cancelled or skipped
  int exit_code = -1;                      ///< 0..255 when the shell exited, -1 otherwise
  int signal = 0;                          ///< the signal that ended it, 0 when it exited
  bool timed_out = false;                  ///< ended by its timeout
  bool allowed_failure = false;            ///< failed, but `continue_on_error` let the stage go on
  util::Duration duration{};               ///< wall time of the whole process group
  std::string reason;                      ///< for people: "exited 1", "timed out after 10s", ...
  std::optional<ResourceUse> usage{};      ///< peak memory and CPU time of its processes, when known
  std::optional<StepPressure> pressure{};  ///< what it stalled on (PSI), when the kernel tells
};

/// How one stage ended.
struct StageResult {
  std::string name;                 ///< the stage's name
  Status status = Status::pending;  ///< succeeded, failed, cancelled or skipped
  bool allowed_failure = false;     ///< failed, but `continue_on_error` let the run go on
  util::Duration duration{};        ///< wall time
  std::string reason;               ///< why it failed or was skipped; "" when it succeeded
  std::vector<StepResult> steps;    ///< in order, including skipped ones
};

/// How a whole run ended.
struct RunResult {
  Status status = Status::pending;  ///< succeeded, failed or cancelled
  util::Duration duration{};        ///< wall time
  std::vector<StageResult> stages;  ///< the stages that were selected, in order
};

/// Why `result` failed, as `stage: reason` of the first stage that failed and was not allowed
/// to; "" when none did.
std::string run_failure_reason(const RunResult& result);

}  // namespace turnout::steps
