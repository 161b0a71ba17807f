#pragma once
// The environment a step sees: a short allow-list of turnout's own, the pipeline's secrets,
// the pipeline -> stage -> step env, and the TURNOUT_* variables of the run.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/pipeline.h"
#include "steps/run_context.h"

namespace turnout::steps {

/// True for names passed from turnout's environment to steps: PATH, HOME, USER, LANG, LC_*,
/// TZ, TMPDIR, proxies, and the CI's own (CI, GITHUB_*, RUNNER_*) except GITHUB_TOKEN.
/// Anything else (the agent's own secrets above all) reaches a step only when listed in `secrets`.
bool is_inherited(std::string_view name);

/// The allow-listed part of `environ` (a NULL-terminated "NAME=value" array).
std::map<std::string, std::string> inherited_environment(char** environ);

/// The TURNOUT_* variables of a run.
pipeline::EnvMap turnout_variables(const RunContext& context);

/// The whole environment of one step as "NAME=value" strings, later layers winning:
/// inherited, secrets, pipeline env, stage env, step env, TURNOUT_* (last: nothing overrides them).
std::vector<std::string> step_environment(const RunContext& context, const pipeline::Pipeline& pipeline,
                                          const pipeline::Stage& stage, const pipeline::Step& step);

}  // namespace turnout::steps
