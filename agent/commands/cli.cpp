#include "agent/commands/cli.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>
#include <vector>

#include "agent/commands/command.h"
#include "agent/run/exit_code.h"
#include "util/strings.h"

namespace turnout::agent {

namespace {

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* option : app.get_options()) {
    for (const auto& name : option->get_lnames()) names.push_back("--" + name);
  }
  return names;
}

/// Words left over after parsing: an unknown flag (with the nearest known one) or a stray argument.
int reject_extras(const std::string& command, const CLI::App& app) {
  const std::string word = app.remaining().front();
  if (word.rfind("--", 0) == 0) {
    const std::string flag = word.substr(0, word.find('='));
    return usage_error(command, "unknown option '" + flag + "'" +
                                    util::did_you_mean(flag, option_names(app)) + "; see 'turnout " +
                                    command + " --help'");
  }
  return usage_error(command, "unexpected argument '" + word + "'; see 'turnout " + command + " --help'");
}

/// An unknown first word: suggest the nearest command before CLI11 says something vaguer.
int reject_unknown_command(const std::string& word, const std::vector<Command>& commands) {
  std::vector<std::string> names;
  for (const auto& command : commands) names.emplace_back(command.name);
  std::fprintf(stderr, "turnout: unknown command '%s'%s; commands: %s\n", word.c_str(),
               util::did_you_mean(word, names).c_str(), util::join(names, ", ").c_str());
  return kExitUsage;
}

bool is_command(const std::string& word, const std::vector<Command>& commands) {
  for (const auto& command : commands) {
    if (word == command.name) return true;
  }
  return false;
}

// turnout's own messages go to stderr, so stdout stays the run's output or a command's data
// (`runs --json`). A foreground command only has warnings to add to what it prints itself.
void configure_logging() {
  auto logger = spdlog::stderr_color_mt("turnout");
  logger->set_pattern("turnout: %^%l%$: %v");
  logger->set_level(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace

std::vector<Command> all_commands() {
  return {serve_command(), run_command(),      rerun_command(), runs_command(),
          logs_command(),  validate_command(), deploy_command()};
}

int usage_error(const std::string& command, const std::string& message) {
  std::fprintf(stderr, "turnout %s: %s\n", command.c_str(), message.c_str());
  return kExitUsage;
}

int main_cli(int argc, char** argv) {
  configure_logging();
  const auto commands = all_commands();
  if (argc > 1 && argv[1][0] != '-' && !is_command(argv[1], commands))
    return reject_unknown_command(argv[1], commands);

  CLI::App app{"turnout: a self-hosted CI/CD agent with blue-green deploys", "turnout"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "turnout " TURNOUT_VERSION);
  std::vector<std::pair<CLI::App*, CommandHandler>> handlers;
  for (const auto& command : commands) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    sub->allow_extras();
    handlers.emplace_back(sub, command.setup(*sub));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);  // --help, --version
    const CLI::App* sub = app.get_subcommands().empty() ? nullptr : app.get_subcommands().front();
    return usage_error(sub ? sub->get_name() : "", std::string(error.what()) + "; see --help");
  }
  for (auto& [sub, handler] : handlers) {
    if (!sub->parsed()) continue;
    if (!sub->remaining().empty()) return reject_extras(sub->get_name(), *sub);
    return handler();
  }
  return kExitUsage;
}

}  // namespace turnout::agent
