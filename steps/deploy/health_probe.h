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
  /// Why not, for a person: "connection refused", "timed out after 2s", "status 502: Bad
  /// Gateway <first 200 bytes of the body>", "exited 1". "" when healthy.
  std::string reason;
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

/// Probes up to `check.attempts` times, `check.interval` apart, until one passes or `cancel` is
/// set (the wait between probes polls it). Each failed probe is told to `on_failure` with its
/// 1-based attempt number and reason, as it happens.
HealthOutcome wait_until_healthy(
    const pipeline::HealthCheck& check, int port, const ProbeEnv& env, const CancelToken& cancel,
    const std::function<void(int attempt, const std::string& reason)>& on_failure);

}  // namespace turnout::steps::deploy
