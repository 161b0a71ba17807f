#pragma once
// The commands a deploy runs that must return soon (a proxy's test and reload, an outside
// supervisor's start and stop): `bash -c SCRIPT` as a step runs, with a timeout, keeping its
// last lines for an error message.

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "util/duration.h"
#include "util/result.h"

namespace turnout::steps::deploy {

/// How one short command ended, with what it printed.
struct CommandRun {
  bool succeeded = false;  ///< exited 0 within the timeout
  std::string ending;      ///< "exited 1", "timed out after 30s", "killed by signal KILL"
  std::string out;         ///< stdout (its first 4 KiB)
  std::deque<std::string>
      tail;  ///< its last 10 non-blank lines of stdout and stderr, each clipped to 300 bytes
};

/// What to run.
struct ShortCommand {
  std::string script;            ///< run by bash
  std::vector<std::string> env;  ///< the whole environment, "NAME=value"
  std::string cwd;               ///< "" = ours
  util::Duration timeout;        ///< then its process group is ended
};

/// Runs `command`. The output is not masked (it carries no secrets of its own); whoever logs
/// an error made from it masks it. Fails only when the command cannot start.
util::Result<CommandRun> run_short_command(const ShortCommand& command);

/// `text` cut to the 300 bytes an error message keeps of one line, "..." marking a cut.
std::string clipped_line(std::string_view text);

/// The tail as one line: "line | line"; "" when it printed nothing.
std::string joined_tail(const CommandRun& run);

/// A user's command on one line, trimmed, for an error message (a YAML block may span several).
std::string one_line(std::string_view text);

/// Runs `command` and turns anything but a clean exit into an error: "<what> (`script`)
/// failed (exited 1): <its last lines>", or "... could not start: <why>".
util::Status run_checked(const std::string& what, const ShortCommand& command);

/// " (exited 1): line | line" or " (exited 1) with no output": how `run` ended, for an error.
std::string ending_and_output(const CommandRun& run);

}  // namespace turnout::steps::deploy
