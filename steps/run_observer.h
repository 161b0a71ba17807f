#pragma once
// How steps/ reports what happens, without knowing who listens (agent/ implements observers).

#include <chrono>
#include <string_view>

#include "pipeline/pipeline.h"
#include "steps/child_process.h"
#include "steps/run_context.h"
#include "steps/run_result.h"

namespace turnout::steps {

/// One line of a step's output, already masked.
struct LogLine {
  std::string_view stage;                      ///< the stage's name
  std::string_view step;                       ///< the step's name
  Stream stream;                               ///< stdout, stderr, or turnout's note
  std::chrono::system_clock::time_point time;  ///< when it was read
  std::string_view text;                       ///< without the newline; valid during the call only
};

/// Receives the events of a run, in order, on the thread that runs it. Every method has an
/// empty default so an observer overrides only what it needs. Observers must not throw.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  /// Before the first stage.
  virtual void run_started(const pipeline::Pipeline&, const RunContext&) {}
  /// A stage begins (skipped stages get stage_finished only).
  virtual void stage_started(const pipeline::Stage&) {}
  /// A step begins.
  virtual void step_started(const pipeline::Stage&, const pipeline::Step&) {}
  /// The step's process started; `pgid` leads its own process group.
  virtual void step_process_started(const pipeline::Stage&, const pipeline::Step&, pid_t /*pgid*/) {}
  /// A line of output of the running step.
  virtual void log_line(const LogLine&) {}
  /// A step ended (or was skipped).
  virtual void step_finished(const pipeline::Stage&, const StepResult&) {}
  /// A stage ended (or was skipped).
  virtual void stage_finished(const pipeline::Stage&, const StageResult&) {}
  /// After the last stage.
  virtual void run_finished(const RunResult&) {}
};

}  // namespace turnout::steps
