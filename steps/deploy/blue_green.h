#pragma once
// The blue-green deploy (ARCHITECTURE.md, "Blue-green deploy"): release, start the idle slot, health,
// switch, verify, drain, stop or keep the old slot, prune; each phase journalled before it
// starts, so reconcile() can finish or undo a deploy that a crash interrupted. Also the hand
// operations: switching to a slot (rollback) and starting the live slots after a reboot.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/pipeline.h"
#include "steps/cancel_token.h"
#include "steps/deploy/app_state.h"
#include "steps/deploy/slot.h"
#include "steps/deploy/traffic_feed.h"
#include "util/result.h"

namespace turnout::steps::deploy {

/// Receives the deploy's log lines (phases, each failed probe, what reconcile did).
using DeployLog = std::function<void(const std::string& line)>;

/// Where a deploy happens and what its commands run with.
struct DeploySite {
  std::string data_dir;          ///< turnout's data folder; the app lives in apps/<app>/
  std::vector<std::string> env;  ///< base environment of start/stop/probe/proxy commands, "NAME=value"
  FeedAccess feed;               ///< the traffic feed verify judges real traffic by, or why none
};

/// What one deploy releases.
struct DeployInput {
  std::string workspace;      ///< the checkout to release
  std::string pipeline_file;  ///< the pipeline's path relative to the workspace
  std::string run_id;         ///< the deploying run
  std::string sha;            ///< the commit
};

/// How a deploy or a hand operation ended.
struct DeployOutcome {
  bool ok = false;           ///< it did what it was asked
  bool cancelled = false;    ///< stopped by the cancel token before the switch
  std::string reason;        ///< why not, for a person; "" when ok
  std::optional<Slot> live;  ///< the live slot afterwards (none when none)
  bool busy = false;         ///< refused at once, nothing done: another operation holds the app
};

/// Deploys `input` as `deploy` says. Never leaves traffic on a slot that failed its health
/// check; with `strategy: canary` (and a live slot) gives the new slot each step's weight in turn
/// before the switch (canary.h), sending it back to 0% when a step fails; `cancel` is honoured until the
/// switch, after which the deploy always finishes or rolls back. Waits for the app's deploy lock (saying in
/// `log` what holds it), and fails, changing nothing, when the lock file cannot be opened or locked. A phase
/// that cannot be journalled fails the deploy (after the switch: traffic goes back to the live slot).
DeployOutcome deploy_blue_green(const pipeline::Deploy& deploy, const DeploySite& site,
                                const DeployInput& input, const CancelToken& cancel, const DeployLog& log);

/// Finishes or undoes the unfinished deploy of `deploy.app`, if its journal says there is one,
/// so that the proxy points at a healthy slot and the journal is closed. Returns what it did
/// ("" when there was nothing to do). Waits for the app's deploy lock, like a deploy.
util::Result<std::string> reconcile(const pipeline::Deploy& deploy, const DeploySite& site,
                                    const DeployLog& log);

/// Points traffic at `slot` (rollback, `turnout deploy switch`): at once when it runs and is
/// healthy, else after starting it from its release and a health check. Never waits behind
/// another operation: when one holds the app, fails at once (busy) with what it is, e.g.
/// `deploy of web (run 7) in progress since 2026-11-22T10:00:00.123Z, phase health`.
DeployOutcome switch_to_slot(const pipeline::Deploy& deploy, const DeploySite& site, Slot slot,
                             const CancelToken& cancel, const DeployLog& log);

/// What starting a kept release again runs with: the `deploy:` of its own pipeline (the proxy
/// kept the live one's) and its commands' environment.
struct ReleaseSetup {
  pipeline::Deploy deploy;  ///< its own pipeline's deploy, with the live proxy
  DeploySite site;          ///< its commands' environment
};

/// Reads the setup of `release` (its pipeline file), for a rollback that starts it again.
using ReleaseSetupOf = std::function<util::Result<ReleaseSetup>(const LiveRelease& release)>;

/// Rolls `deploy.app` back (ARCHITECTURE.md invariant 10) to a release that was live: with `to`
/// empty, the last one live before the current one; else the newest kept release whose run id
/// is `to` or whose commit starts with `to` (7 or more hex digits). Decided under the app's lock
/// from the state as it is then; says which release in one line of `log` before it acts. The
/// release's slot is switched to (started again and health-checked when it does not run); when
/// that slot was reused, the release is started again from its folder in the idle slot. Refuses,
/// changing nothing, when no such release was live and is kept, or when another operation holds
/// the app (busy, as switch_to_slot).
DeployOutcome roll_back_to(const pipeline::Deploy& deploy, const DeploySite& site, const std::string& to,
                           const ReleaseSetupOf& setup_of, const CancelToken& cancel, const DeployLog& log);

/// After a reboot: starts the live slot from its release when it is not running, health-checks
/// it and points the proxy at it. Waits for the app's deploy lock, like a deploy: the live slot
/// must come up whatever had the app first.
DeployOutcome boot_live_slot(const pipeline::Deploy& deploy, const DeploySite& site,
                             const CancelToken& cancel, const DeployLog& log);

}  // namespace turnout::steps::deploy
