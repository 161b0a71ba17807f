#include "steps/shell_step.h"

#include <csignal>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "steps/environment.h"
#include "steps/run_cgroup.h"
#include "steps/step_pressure.h"
#include "steps/unique_fd.h"

namespace turnout::steps {

namespace {

std::string describe(const ProcessOutcome& outcome, const pipeline::Step& step) {
  if (outcome.cancelled) return "cancelled";
  if (outcome.timed_out) return "timed out after " + util::format_duration(*step.timeout);
  if (outcome.signal != 0) return std::string("killed by signal ") + sigabbrev_np(outcome.signal);
  return "exited " + std::to_string(outcome.exit_code);
}

// What programs print when an allocation fails: under RLIMIT_DATA a process is not killed, its
// malloc fails, and this is how a step stopped by its memory limit can be told apart.
bool says_out_of_memory(std::string_view line) {
  static constexpr std::string_view kMarkers[] = {
      "Cannot allocate memory", "cannot allocate",  "MemoryError",        "std::bad_alloc",   "out of memory",
      "Out of memory",          "memory exhausted", "failed to allocate", "allocation failed"};
  for (const auto marker : kMarkers) {
    if (line.find(marker) != std::string_view::npos) return true;
  }
  return false;
}

Status status_of(const ProcessOutcome& outcome) {
  if (outcome.cancelled) return Status::cancelled;
  return outcome.exit_code == 0 && !outcome.timed_out ? Status::succeeded : Status::failed;
}

}  // namespace

pipeline::Resources effective_resources(const pipeline::Step& step, const pipeline::Stage& stage,
                                        const pipeline::Pipeline& pipeline) {
  return step.resources.within(
      stage.resources.within(pipeline.resources.within(pipeline::default_resources())));
}

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
  const auto resources = effective_resources(step, env.stage, env.pipeline);
  spec.limits = limits_of(resources);

  StepResult result;
  result.name = step.name;
  UniqueFd group;  // open until the step's process has joined the run's group
  if (env.cgroup != nullptr) {
    auto entered = env.cgroup->enter(resources);
    if (!entered) {
      result.status = Status::failed;
      result.reason = "cannot put the step in the run's cgroup: " + entered.error().message;
      return result;
    }
    group = std::move(entered.value());
    spec.limits->cgroup_procs = group.get();
    spec.limits->data_bytes.reset();  // memory.max limits the step's processes together instead
  }
  const auto oom_kills_before = env.cgroup != nullptr ? env.cgroup->oom_kills() : 0;
  bool allocation_failed = false;
  const OutputSink watching = [&](Stream stream, std::chrono::system_clock::time_point time,
                                  std::string_view line) {
    if (!allocation_failed && resources.memory && says_out_of_memory(line)) allocation_failed = true;
    sink(stream, time, line);
  };
  const StepPressureMeter pressure(env.cgroup != nullptr ? env.cgroup->dir() : "");
  const auto outcome = run_process(spec, env.masker, watching, env.cancel);
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
    result.usage = outcome.value().usage;
    result.pressure = pressure.finish();
    // Under memory.max the kernel's OOM killer ends a process with SIGKILL: memory.events counts it.
    if (env.cgroup != nullptr && resources.memory && env.cgroup->oom_kills() > oom_kills_before)
      allocation_failed = true;
    if (allocation_failed && result.status == Status::failed)
      result.reason =
          "out of memory (limit " + pipeline::format_size(*resources.memory) + "): " + result.reason;
  }
  result.allowed_failure = result.status == Status::failed && step.continue_on_error;
  return result;
}

}  // namespace turnout::steps
