#include "tests/support/command.h"

#include <stdexcept>

#include "steps/child_process.h"
#include "steps/secret_masker.h"
#include "tests/support/environment.h"

namespace turnout::test {

CommandResult run_command(const std::vector<std::string>& argv, const std::string& cwd,
                          const std::map<std::string, std::string>& env) {
  steps::ProcessSpec spec;
  spec.argv = argv;
  spec.cwd = cwd;
  spec.timeout = std::chrono::minutes(5);
  spec.env = merged_environment(env);

  CommandResult result;
  const steps::SecretMasker no_secrets;
  const steps::CancelToken never;
  const auto outcome = steps::run_process(
      spec, no_secrets,
      [&](steps::Stream stream, auto, std::string_view line) {
        std::string& into = stream == steps::Stream::out ? result.out : result.err;
        into.append(line).push_back('\n');
      },
      never);
  if (!outcome) throw std::runtime_error(outcome.error().message);
  result.exit_code = outcome.value().exit_code;
  return result;
}

CommandResult run_turnout(const std::vector<std::string>& args, const std::string& cwd,
                          const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv{TURNOUT_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, cwd, env);
}

}  // namespace turnout::test
