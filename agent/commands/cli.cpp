#include "agent/commands/cli.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <optional>
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

std::vector<std::string> names_of(const std::vector<CLI::App*>& apps) {
  std::vector<std::string> names;
  for (const CLI::App* app : apps) names.push_back(app->get_name());
  return names;
}

/// A command made of subcommands (`deploy`) whose next word is none of them: the nearest one,
/// before CLI11 says only "A subcommand is required". Words starting with '-' are its flags.
std::optional<int> reject_unknown_subcommand(CLI::App& command, int argc, char** argv) {
  const auto names = names_of(command.get_subcommands({}));
  if (names.empty()) return std::nullopt;
  const std::string name = command.get_name();
  if (argc <= 2) return usage_error(name, "a subcommand is required: " + util::join(names, ", "));
  const std::string word = argv[2];
  if (word.empty() || word[0] == '-' || std::find(names.begin(), names.end(), word) != names.end())
    return std::nullopt;
  return usage_error(name, "unknown subcommand '" + word + "'" + util::did_you_mean(word, names) +
                               "; subcommands: " + util::join(names, ", "));
}

/// The command a parse error belongs to, as typed: `deploy rollback`, `run`, "" for none.
std::string parsed_command(const CLI::App& app) {
  std::string name;
  for (const CLI::App* at = &app; !at->get_subcommands().empty();) {
    at = at->get_subcommands().front();
    name += (name.empty() ? "" : " ") + at->get_name();
  }
  return name;
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
  return {serve_command(), run_command(),  rerun_command(),    trigger_command(), cancel_command(),
          runs_command(),  logs_command(), validate_command(), deploy_command()};
}

int usage_error(const std::string& command, const std::string& message) {
  std::fprintf(stderr, "turnout%s%s: %s\n", command.empty() ? "" : " ", command.c_str(), message.c_str());
  return kExitUsage;
}

int main_cli(int argc, char** argv) {
  configure_logging();
  const auto commands = all_commands();
  if (argc > 1 && argv[1][0] != '-' && !is_command(argv[1], commands))
    return reject_unknown_command(argv[1], commands);
  if (argc <= 1) {
    std::vector<std::string> names;
    for (const auto& command : commands) names.emplace_back(command.name);
    return usage_error("", "a command is required: " + util::join(names, ", ") + "; see 'turnout --help'");
  }

  CLI::App app{"turnout: a self-hosted CI/CD agent with blue-green deploys", "turnout"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "turnout " TURNOUT_VERSION);
  std::vector<std::pair<CLI::App*, CommandHandler>> handlers;
  for (const auto& command : commands) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    sub->allow_extras();
    handlers.emplace_back(sub, command.setup(*sub));
    if (argv[1] == std::string(command.name)) {
      if (auto rejected = reject_unknown_subcommand(*sub, argc, argv)) return *rejected;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);  // --help, --version
    const auto command = parsed_command(app);
    return usage_error(command, std::string(error.what()) + "; see 'turnout " + command +
                                    (command.empty() ? "" : " ") + "--help'");
  }
  for (auto& [sub, handler] : handlers) {
    if (!sub->parsed()) continue;
    if (!sub->remaining().empty()) return reject_extras(sub->get_name(), *sub);
    return handler();
  }
  return kExitUsage;
}

}  // namespace turnout::agent
