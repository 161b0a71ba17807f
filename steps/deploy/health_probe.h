#pragma once
// Health probes of a new slot (ARCHITECTURE.md, "Blue-green deploy"): HTTP, TCP connect, or a
// command; every failed probe says why, so "never became healthy" always has a reason.

#include <functional>
#include <string>
#include <vector>

#include "pipeline/pipeline.h"
#include "steps/cancel_token.h"

namespace turnout::steps::deploy {

/// One probe's verdict.
struct ProbeResult {
  bool healthy = false;  ///< true: the slot answered as expected
  /// Why not, for a person, naming what was probed: "GET http://127.0.0.1:20202/health:
  /// connection refused", "GET ... -> 502: Bad Gateway <first 200 bytes of the body>",
  /// "connect 127.0.0.1:20202: timed out after 2s", "exited 1". "" when healthy.
  std::string reason;
  int status = 0;  ///< the HTTP status answered; 0 when none (not http, or no answer)
};

/// What a command probe runs with (HTTP and TCP probes ignore it).
struct ProbeEnv {
  std::vector<std::string> env;  ///< the whole environment, "NAME=value" (incl. PORT, TURNOUT_SLOT)
  std::string cwd;               ///< the release directory
};

/// Probes 127.0.0.1:`port` once, within `check.timeout`: http GET `check.path` (healthy for
/// `check.status`, or any 2xx when it is not given), tcp connect, or `bash -c check.command`
/// (exit 0 = healthy; killed with its process group at the timeout).
ProbeResult probe_once(const pipeline::HealthCheck& check, int port, const ProbeEnv& env);

/// How waiting for health ended.
struct HealthOutcome {
  bool healthy = false;     ///< a probe passed
  bool cancelled = false;   ///< `cancel` was set before one did
  int attempts = 0;         ///< probes made
  std::string last_reason;  ///< the last failed probe's reason ("" when the first passed)
};

/// Waits `wait`, or less when `cancel` is set meanwhile; returns false when it was.
bool wait_unless_cancelled(util::Duration wait, const CancelToken& cancel);

/// How many identical 4xx answers in a row end wait_until_healthy() early.
inline constexpr int kSame4xxProbes = 5;

/// Probes up to `check.attempts` times, `check.interval` apart, until one passes or `cancel` is
/// set (the wait between probes polls it). Each failed probe is told to `on_failure` with its
/// 1-based attempt number and reason, as it happens. The same 4xx (but 408 and 429) on
/// kSame4xxProbes probes in a row ends it early, its reason saying the path may be wrong: an
/// app that answers, but not at that path, will not change its mind.
HealthOutcome wait_until_healthy(
    const pipeline::HealthCheck& check, int port, const ProbeEnv& env, const CancelToken& cancel,
    const std::function<void(int attempt, const std::string& reason)>& on_failure);

}  // namespace turnout::steps::deploy
