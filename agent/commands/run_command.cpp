#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "agent/commands/command.h"
#include "agent/console_reporter.h"
#include "agent/data_dir.h"
#include "agent/exit_code.h"
#include "agent/signal_watcher.h"
#include "git/repository_info.h"
#include "pipeline/loader.h"
#include "steps/environment.h"
#include "steps/runner.h"
#include "util/strings.h"

extern char** environ;

namespace turnout::agent {

namespace {

/// The flags of `turnout run`, as typed.
struct RunOptions {
  std::string dir = ".";
  std::string pipeline_file = ".turnout.yml";
  std::vector<std::string> stages;
  std::string branch;
  std::string data_dir;
};

/// Everything validated: what `execute` needs and nothing it must still check.
struct RunPlan {
  pipeline::Pipeline pipeline;
  steps::RunContext context;
  steps::RunnerOptions runner;
  std::string data_dir;
};

std::vector<std::string> stage_names(const pipeline::Pipeline& pipeline) {
  std::vector<std::string> names;
  for (const auto& stage : pipeline.stages) names.push_back(stage.name);
  return names;
}

util::Status check_stages(const std::vector<std::string>& wanted, const pipeline::Pipeline& pipeline) {
  const auto names = stage_names(pipeline);
  for (const auto& name : wanted) {
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    return util::fail("unknown stage '" + name + "'" + util::did_you_mean(name, names) +
                      "; the pipeline has: " + util::join(names, ", "));
  }
  return util::Ok{};
}

util::Result<std::map<std::string, std::string>> read_secrets(const pipeline::Pipeline& pipeline) {
  std::map<std::string, std::string> secrets;
  for (const auto& name : pipeline.secrets) {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return util::fail("secret '" + name + "' (listed in " + pipeline.file +
                        ") is not set in turnout's environment; export it and run again");
    }
    secrets[name] = value;
  }
  return secrets;
}

steps::RunContext make_context(const std::string& workspace, const RunOptions& options) {
  steps::RunContext context;
  context.workspace = workspace;
  context.repo = workspace;
  context.run_id = "local";
  context.trigger = "cli";
  context.inherited_env = steps::inherited_environment(environ);
  if (const auto checkout = git::describe_checkout(workspace)) {
    context.branch = checkout->branch;
    context.sha = checkout->sha;
  }
  if (!options.branch.empty()) context.branch = options.branch;
  if (!context.branch.empty()) context.ref = "refs/heads/" + context.branch;
  return context;
}

/// Checks everything before anything runs; a failure is one line for the person at the terminal.
util::Result<RunPlan> validate(const RunOptions& options) {
  std::error_code error;
  const auto workspace = std::filesystem::canonical(options.dir, error);
  if (error || !std::filesystem::is_directory(workspace)) {
    return util::fail("--dir " + options.dir + ": no such directory");
  }
  // The pipeline travels with the code, so a relative --pipeline is relative to the workspace.
  const auto file = (workspace / options.pipeline_file).lexically_normal();
  auto loaded = pipeline::load_file(file.string());
  if (!loaded.ok()) {
    std::string message = loaded.errors.front().to_string();
    for (std::size_t i = 1; i < loaded.errors.size(); ++i) message += "\n" + loaded.errors[i].to_string();
    return util::fail(message);
  }
  if (auto stages = check_stages(options.stages, loaded.pipeline); !stages) return stages.error();
  auto secrets = read_secrets(loaded.pipeline);
  if (!secrets) return secrets.error();

  RunPlan plan{std::move(loaded.pipeline), make_context(workspace.string(), options), {}, ""};
  plan.context.secrets = std::move(secrets.value());
  plan.runner.only_stages = options.stages;
  plan.data_dir = resolve_data_dir(options.data_dir);
  return plan;
}

int execute(const RunPlan& plan) {
  steps::CancelToken cancel;
  const SignalWatcher signals(cancel);
  ConsoleReporter console(stdout, wants_color(stdout));
  steps::Runner runner({&console}, cancel, plan.runner);
  const auto result = runner.run(plan.pipeline, plan.context);
  return exit_code_for(result.status);
}

}  // namespace

Command run_command() {
  return {"run", "Run a pipeline in the foreground; the exit code is the result",
          [](CLI::App& app) -> CommandHandler {
            auto options = std::make_shared<RunOptions>();
            app.add_option("--dir", options->dir, "The checked-out code to run in")->capture_default_str();
            app.add_option("--pipeline", options->pipeline_file, "Pipeline file, relative to --dir")
                ->capture_default_str();
            app.add_option("--stage", options->stages, "Run only this stage (repeatable)");
            app.add_option("--branch", options->branch,
                           "Branch for `when.branches` (default: the checked-out one)");
            app.add_option("--data-dir", options->data_dir,
                           "Where turnout keeps state (default $TURNOUT_DATA_DIR or ~/.local/share/turnout)");
            return [options] {
              auto plan = validate(*options);
              if (!plan) return usage_error("run", plan.error().message);
              return execute(plan.value());
            };
          }};
}

}  // namespace turnout::agent
