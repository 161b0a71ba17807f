#include "agent/actions/actions_reporter.h"

#include <filesystem>

#include "agent/actions/environment_file.h"
#include "agent/actions/workflow_commands.h"
#include "agent/client/agent_presence.h"
#include "steps/deploy/app_state.h"
#include "steps/secret_masker.h"

namespace turnout::agent::actions {

namespace {

// GitHub shows a file annotation on the file only when its path is relative to the repository.
std::string relative_to(const std::string& workspace, const std::string& file) {
  std::error_code error;
  const auto root = std::filesystem::weakly_canonical(workspace, error);
  const auto path = std::filesystem::weakly_canonical(file, error);
  if (error) return file;
  const auto relative = path.lexically_relative(root);
  if (relative.empty() || relative.begin()->string() == "..") return file;
  return relative.string();
}

std::string step_title(const pipeline::Stage& stage, const steps::StepResult& result) {
  return stage.name + " › " + result.name;
}

std::size_t file_size(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? 0 : static_cast<std::size_t>(size);
}

}  // namespace

const char* actions_result(steps::Status status) {
  switch (status) {
    case steps::Status::succeeded:
      return "success";
    case steps::Status::cancelled:
      return "cancelled";
    default:
      return "failure";
  }
}

ActionsReporter::ActionsReporter(std::FILE* out, ActionsEnvironment env)
    : out_(out), env_(std::move(env)), stop_token_("turnout-" + make_local_token().substr(0, 32)) {}

void ActionsReporter::print(const std::string& command) {
  std::fputs(command.c_str(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

void ActionsReporter::run_started(const pipeline::Pipeline& pipeline, const steps::RunContext& context) {
  // Each line of a multi-line secret on its own, as the runner masks line by line too.
  const steps::SecretMasker masker([&] {
    std::vector<std::string> values;
    for (const auto& [name, value] : context.secrets) values.push_back(value);
    return values;
  }());
  for (const auto& value : masker.values()) print(format_add_mask(value));
  // actions/checkout leaves GITHUB_SHA checked out unless told otherwise; what runs is what is
  // there, and a difference deserves a warning.
  if (!context.sha.empty() && context.sha != env_.sha) {
    print(format_annotation("warning", {"turnout run", "", 0, 0},
                            "GITHUB_SHA is " + env_.sha + " but the workspace has " + context.sha +
                                " checked out; turnout builds what is checked out"));
  }
  pipeline_ = pipeline.name;
  for (const auto& stage : pipeline.stages) {
    if (stage.deploy) deploy_stages_.emplace_back(stage.name, stage.deploy->app);
  }
  context_ = context;
  context_.secrets.clear();  // not needed here, so not kept
  context_.inherited_env.clear();
}

void ActionsReporter::stage_started(const pipeline::Stage& stage) {
  print(format_group(stage.name));
  group_open_ = true;
}

void ActionsReporter::step_started(const pipeline::Stage&, const pipeline::Step&) {
  // A step's output is data: a line of it that looks like a command (`::error::`, `##[...]`,
  // even `::add-mask::`) must not reach the runner as one. The token is random per run, so the
  // output cannot resume commands itself.
  print(format_stop_commands(stop_token_));
  commands_stopped_ = true;
}

void ActionsReporter::step_finished(const pipeline::Stage& stage, const steps::StepResult& result) {
  if (commands_stopped_) print(format_resume_commands(stop_token_));
  commands_stopped_ = false;
  if (result.status != steps::Status::failed) return;
  const Annotation where{step_title(stage, result), "", 0, 0};
  if (result.allowed_failure) {
    print(format_annotation("warning", where, result.name + " failed (allowed to fail): " + result.reason));
  } else {
    print(format_annotation("error", where, result.name + " " + result.reason));
  }
}

void ActionsReporter::stage_finished(const pipeline::Stage&, const steps::StageResult&) {
  if (group_open_) print(format_endgroup());
  group_open_ = false;
}

std::vector<DeployedApp> ActionsReporter::deployed_apps(const steps::RunResult& result) const {
  std::vector<DeployedApp> apps;
  for (const auto& stage : result.stages) {
    if (stage.status != steps::Status::succeeded) continue;
    for (const auto& [name, app] : deploy_stages_) {
      if (name != stage.name) continue;
      const auto state = steps::deploy::load_app_state(steps::deploy::app_dir(context_.data_dir, app));
      if (!state || !state.value().live) continue;
      const auto live = state.value().slots.find(*state.value().live);
      // Only what this run made live: a later run of another job may have deployed since.
      if (live == state.value().slots.end() || live->second.run_id != context_.run_id) continue;
      apps.push_back({app, live->second.sha, *state.value().live, live->second.port});
    }
  }
  return apps;
}

void ActionsReporter::run_finished(const steps::RunResult& result) {
  JobSummary summary{pipeline_,    context_.run_id, context_.branch,
                     context_.sha, result,          deployed_apps(result)};
  const std::size_t used = file_size(env_.summary_file);
  write_summary(render_job_summary(summary, used < kSummaryLimit ? kSummaryLimit - used : 0));
  StepOutputs outputs{context_.run_id, actions_result(result.status), "", "",
                      steps::run_failure_reason(result)};
  if (!summary.deployed.empty()) {
    outputs.deployed_sha = summary.deployed.back().sha;
    outputs.live_slot = to_string(summary.deployed.back().slot);
  }
  write_outputs(outputs);
}

void ActionsReporter::run_rejected(const std::string& message,
                                   const std::vector<pipeline::Diagnostic>& problems) {
  for (const auto& problem : problems) {
    const Annotation where{"invalid pipeline", relative_to(env_.workspace, problem.file), problem.line,
                           problem.column};
    print(format_annotation("error", where, problem.message));
  }
  if (problems.empty()) print(format_annotation("error", {"turnout run", "", 0, 0}, message));
  const std::size_t used = file_size(env_.summary_file);
  write_summary(render_rejected_summary(message, used < kSummaryLimit ? kSummaryLimit - used : 0));
  write_outputs({"", "failure", "", "", message});
}

void ActionsReporter::write_outputs(const StepOutputs& outputs) {
  std::string text = format_output("run_id", outputs.run_id);
  text += format_output("result", outputs.result);
  text += format_output("deployed_sha", outputs.deployed_sha);
  text += format_output("live_slot", outputs.live_slot);
  text += format_output("reason", outputs.reason);
  if (auto written = append_to_file(env_.output_file, text); !written) {
    print(format_annotation("warning", {"turnout: outputs", "", 0, 0}, written.error().message));
  }
}

void ActionsReporter::write_summary(const std::string& markdown) {
  if (markdown.empty()) return;
  if (auto written = append_to_file(env_.summary_file, markdown); !written) {
    print(format_annotation("warning", {"turnout: job summary", "", 0, 0}, written.error().message));
  }
}

}  // namespace turnout::agent::actions
