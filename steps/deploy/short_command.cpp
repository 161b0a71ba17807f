#include "steps/deploy/short_command.h"

#include <cstring>
#include <string_view>

#include "steps/cancel_token.h"
#include "steps/child_process.h"
#include "steps/secret_masker.h"
#include "steps/shell_step.h"
#include "util/strings.h"

namespace turnout::steps::deploy {

namespace {

constexpr std::size_t kTailLines = 10;        // of output, in an error message
constexpr std::size_t kLongestLine = 300;     // bytes of one line in an error message
constexpr std::size_t kLongestStdout = 4096;  // kept of stdout (a `current` command's port)

bool blank(std::string_view line) { return line.find_first_not_of(" \t\r\n") == std::string_view::npos; }

std::string describe_ending(const ProcessOutcome& outcome, util::Duration timeout) {
  if (outcome.timed_out) return "timed out after " + util::format_duration(timeout);
  if (outcome.signal != 0) return std::string("killed by signal ") + sigabbrev_np(outcome.signal);
  return "exited " + std::to_string(outcome.exit_code);
}

}  // namespace

util::Result<CommandRun> run_short_command(const ShortCommand& command) {
  ProcessSpec spec;
  spec.argv = shell_argv(command.script);
  spec.env = command.env;
  spec.cwd = command.cwd;
  spec.timeout = command.timeout;
  CommandRun run;
  const CancelToken never;
  const auto outcome = run_process(
      spec, SecretMasker{},
      [&](Stream stream, auto, std::string_view line) {
        if (stream == Stream::out && run.out.size() < kLongestStdout) {
          run.out.append(line.substr(0, kLongestStdout - run.out.size())).push_back('\n');
        }
        if (blank(line)) return;
        run.tail.push_back(clipped_line(line));
        if (run.tail.size() > kTailLines) run.tail.pop_front();
      },
      never);
  if (!outcome) return outcome.error();
  run.succeeded = outcome.value().exit_code == 0 && !outcome.value().timed_out;
  run.ending = describe_ending(outcome.value(), command.timeout);
  return run;
}

std::string clipped_line(std::string_view text) {
  if (text.size() <= kLongestLine) return std::string(text);
  return std::string(text.substr(0, kLongestLine)) + "...";
}

std::string joined_tail(const CommandRun& run) {
  return util::join(std::vector<std::string>(run.tail.begin(), run.tail.end()), " | ");
}

std::string one_line(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  std::string line(text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1));
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}

std::string ending_and_output(const CommandRun& run) {
  const std::string ending = " (" + run.ending + ")";
  if (run.tail.empty()) return ending + " with no output";
  return ending + ": " + joined_tail(run);
}

util::Status run_checked(const std::string& what, const ShortCommand& command) {
  const auto run = run_short_command(command);
  const std::string label = what + " (`" + one_line(command.script) + "`)";
  if (!run) return util::fail(label + " could not start: " + run.error().message);
  if (!run.value().succeeded) return util::fail(label + " failed" + ending_and_output(run.value()));
  return util::Ok{};
}

}  // namespace turnout::steps::deploy
