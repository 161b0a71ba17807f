#pragma once
// What each deploy of an app did, kept beside its state (`apps/<app>/deploys.json`) for the
// dashboard's deploy history: its phases with the time each began, each failed probe with its
// reason (the words the run log has), when traffic moved, and how it ended, an automatic
// rollback after the switch marked as such. The journal (state.json) says only what a crash
// must undo, and forgets a deploy once it ends; this keeps the newest ones.

#include <cstddef>
#include <string>
#include <vector>

#include "steps/deploy/app_state.h"
#include "util/result.h"

namespace turnout::steps::deploy {

/// A phase of a deploy and when it began (ISO-8601 UTC).
struct PhaseMark {
  Phase phase = Phase::prepare;  ///< the phase
  std::string at;                ///< when it began
};

/// A health probe of the new slot that failed.
struct FailedProbe {
  std::string at;      ///< ISO-8601 UTC
  int attempt = 0;     ///< which attempt, from 1
  int attempts = 0;    ///< of how many the health check allows
  std::string reason;  ///< as the run log has it, e.g. "HTTP 503 from /health"
};

/// How a deploy ended.
enum class DeployResult {
  live,         ///< the new slot passed verify and is live
  failed,       ///< it failed; traffic stayed where it was (or could not be put back: see reason)
  rolled_back,  ///< it failed after the switch, and traffic went back to the slot live before
  cancelled     ///< cancelled before the switch
};

/// `live`, `failed`, `rolled back`, `cancelled`.
const char* to_string(DeployResult result);

/// One deploy of an app.
struct DeployRecord {
  std::string run_id;                          ///< the deploying run
  std::string sha;                             ///< the commit deployed
  Slot target = Slot::blue;                    ///< the slot it went to
  std::optional<Slot> from;                    ///< the slot live when it began; none for a first deploy
  std::string started_at;                      ///< ISO-8601 UTC
  std::string finished_at;                     ///< ISO-8601 UTC
  std::vector<PhaseMark> phases;               ///< in the order they began
  std::vector<FailedProbe> probes;             ///< the new slot's failed health probes, in order
  std::string switched_at;                     ///< when traffic went to the new slot; "" when it never did
  std::string rolled_back_at;                  ///< when traffic went back automatically; "" when it did not
  DeployResult result = DeployResult::failed;  ///< how it ended
  std::string reason;                          ///< why it failed; "" when live
};

/// Deploys kept per app: the newest, however many the releases kept (a failed one has none).
inline constexpr std::size_t kDeploysKept = 50;

/// The deploys of the app in `app_dir` as `deploys.json` keeps them, newest first; none when
/// the file does not exist (no deploy ended since it was added). An unreadable file is an
/// error naming it.
util::Result<std::vector<DeployRecord>> load_deploys(const std::string& app_dir);

/// Adds `record` as the newest deploy of the app in `app_dir`, keeping the newest `keep`;
/// written atomically. The caller holds the app's deploy lock.
util::Status add_deploy(const std::string& app_dir, const DeployRecord& record,
                        std::size_t keep = kDeploysKept);

}  // namespace turnout::steps::deploy
