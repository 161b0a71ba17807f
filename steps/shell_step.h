#pragma once

#include <string>
#include <vector>

#include "pipeline/pipeline.h"
#include "steps/cancel_token.h"
#include "steps/child_process.h"
#include "steps/deploy/traffic_feed.h"
#include "steps/run_context.h"
#include "steps/run_result.h"
#include "steps/secret_masker.h"

namespace turnout::steps {

/// The argv of every shell step: `bash --noprofile --norc -eo pipefail -c SCRIPT`. The script
/// is the pipeline author's text; data from a webhook never enters it (invariant 1).
std::vector<std::string> shell_argv(const std::string& script);

/// What `step` may take: its `resources:`, then its stage's, then the pipeline's, then turnout's
/// defaults (nice 10, io best-effort).
pipeline::Resources effective_resources(const pipeline::Step& step, const pipeline::Stage& stage,
                                        const pipeline::Pipeline& pipeline);

/// What one shell step needs besides the step itself.
struct ShellStepEnv {
  const RunContext& context;           ///< workspace and TURNOUT_* values
  const pipeline::Pipeline& pipeline;  ///< pipeline env
  const pipeline::Stage& stage;        ///< stage env
  const SecretMasker& masker;          ///< masks every line
  const CancelToken& cancel;           ///< ends the step's group when set
  util::Duration kill_grace;           ///< TERM -> KILL delay
  class RunCgroup* cgroup = nullptr;   ///< the run's cgroup v2 group; none: priorities and RLIMIT_DATA
  const deploy::FeedAccess* traffic = nullptr;  ///< a deploy stage's traffic feed, or why none
};

/// Runs `step` in the workspace (plus its working_directory) and returns how it ended; never
/// throws for a failing step: a step that cannot start is a failed StepResult with the reason.
/// `on_started` (may be empty) gets the step's process group id once it runs.
StepResult run_shell_step(const pipeline::Step& step, const ShellStepEnv& env, const OutputSink& sink,
                          std::function<void(pid_t)> on_started = {});

}  // namespace turnout::steps
