#pragma once
// The subcommands of `turnout`: a table of {name, summary, setup}. Each lives in its own file
// and splits its work into a validate step (nothing runs, bad input is exit 2) and a run step.

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace turnout::agent {

/// Runs a parsed subcommand and returns the process exit code.
using CommandHandler = std::function<int()>;

/// One subcommand.
struct Command {
  const char* name;     ///< as typed: `run`, `validate`
  const char* summary;  ///< one line for `turnout --help`
  /// Declares the command's flags on `app` (bound to state the handler owns) and returns the handler.
  std::function<CommandHandler(CLI::App& app)> setup;
};

/// `turnout run`: one pipeline in the foreground.
Command run_command();
/// `turnout validate`: check a pipeline file.
Command validate_command();
/// `turnout runs`: the history.
Command runs_command();
/// `turnout logs`: one run's log.
Command logs_command();
/// `turnout rerun`: a recorded run again.
Command rerun_command();
/// `turnout cancel`: stop a queued or running run of the agent.
Command cancel_command();
/// `turnout trigger`: run a branch's head now, through the agent.
Command trigger_command();
/// `turnout serve`: the agent, the webhook's target.
Command serve_command();
/// `turnout deploy`: operate blue-green apps by hand.
Command deploy_command();

/// Every subcommand, in the order `turnout --help` lists them.
std::vector<Command> all_commands();

/// Prints `turnout <command>: <message>` on stderr and returns kExitUsage.
int usage_error(const std::string& command, const std::string& message);

}  // namespace turnout::agent
