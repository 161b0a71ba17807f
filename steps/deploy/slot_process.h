#pragma once
// Starting and stopping the process of a slot. Agent-supervised slots (`start` only) run in
// their own session (setsid), outlive turnout (and a GitHub Actions job: RUNNER_TRACKING_ID is
// removed from their environment), write to a log file, and are only ever signalled while their
// recorded pid still has the recorded start time. Slots of an outside supervisor (`stop` given:
// docker, systemd) are started and stopped by commands that return.

#include <optional>
#include <string>
#include <vector>

#include "util/duration.h"
#include "util/process_identity.h"
#include "util/result.h"

namespace turnout::steps::deploy {

/// How to start or stop one slot.
struct SlotLaunch {
  std::string start;             ///< `start:` script, run by bash
  std::string stop;              ///< `stop:` script; "" = agent-supervised
  std::string cwd;               ///< the release directory
  std::vector<std::string> env;  ///< the whole environment, "NAME=value" (PORT, TURNOUT_SLOT, ...)
  std::string log_file;          ///< agent-supervised: output is appended here
};

/// Starts the slot. Agent-supervised: spawns `bash -c start` in a new session with stdin from
/// /dev/null and stdout/stderr appended to log_file, returns its identity at once (health
/// probes decide whether it works). Outside supervisor: runs `start` to completion (it must exit
/// 0 within `command_timeout`) and returns nullopt. Fails with the reason (and, for a command,
/// its last output lines).
util::Result<std::optional<util::ProcessIdentity>> start_slot(const SlotLaunch& launch,
                                                              util::Duration command_timeout);

/// Stops the slot. Agent-supervised (`process` given): when it is still that process, TERM to its
/// session's process group, KILL after `grace`; returns once it is gone. A process that is gone or
/// whose pid now belongs to another process is left alone (Ok). Outside supervisor: runs `stop`.
util::Status stop_slot(const SlotLaunch& launch, const std::optional<util::ProcessIdentity>& process,
                       util::Duration grace);

/// True while the agent-supervised slot process `process` runs (same pid and start time).
bool slot_alive(const util::ProcessIdentity& process);

/// Whether process `pid` was started for slot `slot` (TURNOUT_SLOT) from a release under
/// `releases` (TURNOUT_RELEASE_DIR): the slot's, even outside its process group.
bool started_for(pid_t pid, const std::string& slot, const std::string& releases);

/// What a start command that daemonized (`(setsid app &); exit 0`) left behind: the processes
/// listening on `port` that started with TURNOUT_SLOT=`slot` and a TURNOUT_RELEASE_DIR under
/// `releases`, outside the slot's own process group, which stop_slot cannot reach. Stops each
/// one's process group (TERM, KILL after `grace`); returns their pids.
std::vector<pid_t> stop_escaped(int port, const std::string& slot, const std::string& releases,
                                util::Duration grace);

}  // namespace turnout::steps::deploy
