#include "steps/deploy_step.h"

#include <chrono>

#include "steps/deploy/blue_green.h"
#include "steps/environment.h"
#include "steps/secret_masker.h"

namespace turnout::steps {

pipeline::Step deploy_step_of(const pipeline::Stage& stage) {
  pipeline::Step step;
  step.name = "deploy " + stage.deploy->app;
  step.position = stage.deploy->position;
  return step;
}

StepResult run_deploy_step(const pipeline::Step& step, const ShellStepEnv& env, const OutputSink& sink) {
  const auto started = std::chrono::steady_clock::now();
  StepResult result;
  result.name = step.name;
  const deploy::DeployLog log = [&](const std::string& line) {
    std::string masked = line;
    env.masker.mask(masked);
    sink(Stream::note, std::chrono::system_clock::now(), masked);
  };
  if (env.context.data_dir.empty()) {
    result.status = Status::failed;
    result.reason = "a deploy needs turnout's data folder (--data-dir)";
  } else {
    const deploy::DeploySite site{env.context.data_dir,
                                  step_environment(env.context, env.pipeline, env.stage, step),
                                  env.traffic != nullptr ? *env.traffic : deploy::FeedAccess{}};
    const deploy::DeployInput input{env.context.workspace, env.context.pipeline_file, env.context.run_id,
                                    env.context.sha};
    const auto outcome = deploy::deploy_blue_green(*env.stage.deploy, site, input, env.cancel, log);
    result.status = outcome.ok ? Status::succeeded : outcome.cancelled ? Status::cancelled : Status::failed;
    result.reason = outcome.reason;
    env.masker.mask(result.reason);  // command output quoted in a reason may hold a secret
  }
  result.duration = std::chrono::duration_cast<util::Duration>(std::chrono::steady_clock::now() - started);
  return result;
}

}  // namespace turnout::steps
