#pragma once
// Running one command in its own process group and ending the whole group (ARCHITECTURE.md invariant 4).

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "steps/cancel_token.h"
#include "steps/process_limits.h"
#include "util/duration.h"
#include "util/process_identity.h"
#include "util/result.h"

namespace turnout::steps {

/// Where a line of a step's log came from: one of its pipes, or turnout itself.
enum class Stream {
  out,   ///< the process's stdout
  err,   ///< its stderr
  note,  ///< turnout's own line about the step (a deploy's phases and probes), written `---`
};

/// What to start. argv[0] is looked up in PATH of `env` if it has no '/'.
struct ProcessSpec {
  std::vector<std::string> argv;                     ///< the command, never a shell string built from data
  std::string cwd;                                   ///< working directory; "" = ours
  std::vector<std::string> env;                      ///< "NAME=value", the whole environment of the child
  std::optional<util::Duration> timeout;             ///< none = no limit
  util::Duration kill_grace = util::Duration(5000);  ///< TERM, then KILL after this
  /// Called with the child's pid (also its process group id) right after it started, so a
  /// caller can record whose group to end should turnout itself be killed meanwhile.
  std::function<void(pid_t)> on_started;
  /// A step's share of the machine, set in the child before exec; none: turnout's own (what
  /// deploy commands and slots get).
  std::optional<ProcessLimits> limits;
};

/// How a process ended.
struct ProcessOutcome {
  int exit_code = -1;                ///< 0..255 when it exited, -1 when killed by a signal
  int signal = 0;                    ///< the signal that ended it, 0 when it exited
  bool timed_out = false;            ///< ended by turnout because of the timeout
  bool cancelled = false;            ///< ended by turnout because of the cancel token
  util::Duration duration{};         ///< from start to the end of the whole process group
  std::optional<ResourceUse> usage;  ///< none when the main process was not reaped by turnout
};

/// Receives output as masked lines, with the time the bytes were read.
using OutputSink =
    std::function<void(Stream stream, std::chrono::system_clock::time_point time, std::string_view line)>;

/// Starts `spec` in a new process group (stdin = /dev/null, stdout and stderr piped), streams
/// its output line by line through `masker` into `sink`, and waits until the main process has
/// ended and no process of its group is left: after the main process exits, leftovers of the
/// group get TERM, then KILL after `kill_grace`. A timeout or `cancel` ends the whole group the
/// same way. Returns an error only when the process could not be started at all.
util::Result<ProcessOutcome> run_process(const ProcessSpec& spec, const class SecretMasker& masker,
                                         const OutputSink& sink, const CancelToken& cancel);

/// True while any process of group `pgid` is alive (zombies do not count).
bool process_group_alive(pid_t pgid);

/// Ends what is left of the process group that `leader` started, when a turnout process that
/// supervised it died (SIGKILL, a crash): TERM, then KILL after `grace`. The group is only
/// signalled while it provably is that one: its leader alive with the recorded start time, or
/// no process with the leader's pid left (then the id cannot have been given to a new group).
/// Returns true when it found members and signalled them.
bool end_orphaned_group(const util::ProcessIdentity& leader, util::Duration grace = util::Duration(2000));

}  // namespace turnout::steps
