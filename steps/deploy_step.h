#pragma once
// A deploy stage, run the way the runner runs a shell step: one step named after the app,
// whose log lines are the deploy's own (phases, failed probes) and whose result is the deploy's.

#include "pipeline/pipeline.h"
#include "steps/child_process.h"
#include "steps/run_result.h"
#include "steps/shell_step.h"

namespace turnout::steps {

/// The step the runner reports for a deploy stage: `deploy <app>`.
pipeline::Step deploy_step_of(const pipeline::Stage& stage);

/// Runs the blue-green deploy of `env.stage` (which must have `deploy`) with the step
/// environment of `step` plus the slot's PORT, TURNOUT_SLOT, TURNOUT_RELEASE_DIR; every log line
/// is masked and sent to `sink` as stdout. Cancel is honoured until traffic is switched.
StepResult run_deploy_step(const pipeline::Step& step, const ShellStepEnv& env, const OutputSink& sink);

}  // namespace turnout::steps
