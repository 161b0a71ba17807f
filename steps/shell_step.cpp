#include "steps/shell_step.h"

#include <csignal>
#include <cstring>
#include <filesystem>

#include "steps/environment.h"

namespace turnout::steps {

namespace {

std::string describe(const ProcessOutcome& outcome, const pipeline::Step& step) {
  if (outcome.cancelled) return "cancelled";
  if (outcome.timed_out) return "timed out after " + util::format_duration(*step.timeout);
  if (outcome.signal != 0) return std::string("killed by signal ") + sigabbrev_np(outcome.signal);
  return "exited " + std::to_string(outcome.exit_code);
}

Status status_of(const ProcessOutcome& outcome) {
  if (outcome.cancelled) return Status::cancelled;
  return outcome.exit_code == 0 && !outcome.timed_out ? Status::succeeded : Status::failed;
}

}  // namespace

std::vector<std::string> shell_argv(const std::string& script) {
  return {"bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script};
}

StepResult run_shell_step(const pipeline::Step& step, const ShellStepEnv& env, const OutputSink& sink,
                          std::function<void(pid_t)> on_started) {
  ProcessSpec spec;
  spec.argv = shell_argv(step.run);
  spec.cwd = (std::filesystem::path(env.context.workspace) / step.working_directory).lexically_normal();
  spec.env = step_environment(env.context, env.pipeline, env.stage, step);
  spec.timeout = step.timeout;
  spec.kill_grace = env.kill_grace;
  spec.on_started = std::move(on_started);

  StepResult result;
  result.name = step.name;
  const auto outcome = run_process(spec, env.masker, sink, env.cancel);
  if (!outcome) {
    result.status = Status::failed;
    result.reason = outcome.error().message;
  } else {
    result.status = status_of(outcome.value());
    result.exit_code = outcome.value().exit_code;
    result.signal = outcome.value().signal;
    result.timed_out = outcome.value().timed_out;
    result.duration = outcome.value().duration;
    result.reason = describe(outcome.value(), step);
  }
  result.allowed_failure = result.status == Status::failed && step.continue_on_error;
  return result;
}

}  // namespace turnout::steps
