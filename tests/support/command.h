#pragma once

#include <map>
#include <string>
#include <vector>

namespace turnout::test {

/// What a finished command printed and how it ended.
struct CommandResult {
  int exit_code = -1;  ///< -1 when killed by a signal
  std::string out;     ///< stdout, lines joined with '\n'
  std::string err;     ///< stderr, lines joined with '\n'
};

/// Runs `argv` (argv[0] looked up in PATH) in `cwd` with turnout's environment plus `env`,
/// through the real process runner, and collects its output. Throws when it cannot start.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& cwd = "",
                          const std::map<std::string, std::string>& env = {});

/// Runs the turnout binary under test with `args`.
CommandResult run_turnout(const std::vector<std::string>& args, const std::string& cwd = "",
                          const std::map<std::string, std::string>& env = {});

}  // namespace turnout::test
