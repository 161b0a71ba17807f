#pragma once
// turnout as a step of a GitHub Actions job: the run in the runner's own language. It prints
// workflow commands on stdout beside the ConsoleReporter (which prints the text itself), and at
// the end writes the job summary and the step's outputs.

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "agent/actions/actions_environment.h"
#include "agent/actions/job_summary.h"
#include "pipeline/loader.h"
#include "steps/run_observer.h"

namespace turnout::agent::actions {

/// The step's outputs, as written to GITHUB_OUTPUT.
struct StepOutputs {
  std::string run_id;        ///< turnout's run id; "" when nothing was recorded
  std::string result;        ///< success, failure or cancelled
  std::string deployed_sha;  ///< the commit a deploy stage made live; ""
  std::string live_slot;     ///< the slot it made live (blue, green); ""
  std::string reason;        ///< why it failed; may be several lines
};

/// `success`, `failure` or `cancelled` for a run that ended with `status`.
const char* actions_result(steps::Status status);

/// Reports a run to a GitHub Actions runner. Register it before the ConsoleReporter on the same
/// stream, so that its commands come before the console's lines of each event: a stage's group
/// opens above the stage header, and the masks come before anything at all.
class ActionsReporter : public steps::RunObserver {
 public:
  /// Writes commands to `out` (not owned) and the files that `env` names.
  ActionsReporter(std::FILE* out, ActionsEnvironment env);

  /// `::add-mask::` for each secret value, before anything else; a warning when the checkout is
  /// not at GITHUB_SHA.
  void run_started(const pipeline::Pipeline& pipeline, const steps::RunContext& context) override;
  /// `::group::STAGE`.
  void stage_started(const pipeline::Stage& stage) override;
  /// `::stop-commands::TOKEN`: the step's output is shown as text, never taken as commands.
  void step_started(const pipeline::Stage& stage, const pipeline::Step& step) override;
  /// `::TOKEN::` (commands again), then `::error` for a failed step, `::warning` for one allowed to fail.
  void step_finished(const pipeline::Stage& stage, const steps::StepResult& result) override;
  /// `::endgroup::` for a stage that opened one (a skipped stage did not).
  void stage_finished(const pipeline::Stage& stage, const steps::StageResult& result) override;
  /// Appends the job summary and the outputs; a file that cannot be written is a `::warning`.
  void run_finished(const steps::RunResult& result) override;

  /// A run that never started (nothing ran): one `::error` per problem (with file and line
  /// when the pipeline file is at fault, else the one-line `message`), a summary, the outputs.
  void run_rejected(const std::string& message, const std::vector<pipeline::Diagnostic>& problems);

 private:
  void print(const std::string& command);
  std::vector<DeployedApp> deployed_apps(const steps::RunResult& result) const;
  void write_outputs(const StepOutputs& outputs);
  void write_summary(const std::string& markdown);

  std::FILE* out_;
  ActionsEnvironment env_;
  std::string stop_token_;  // resumes commands after a step's output, which may not use them
  bool commands_stopped_ = false;
  bool group_open_ = false;
  std::string pipeline_;
  std::vector<std::pair<std::string, std::string>> deploy_stages_;  // stage name, app
  steps::RunContext context_;
};

}  // namespace turnout::agent::actions
