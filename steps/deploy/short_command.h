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

}  // namespace turnout::steps::deploy
