#pragma once
// Operations on a deployed app by hand: a rollback asked through the API (POST
// /api/apps/{app}/rollback), the dashboard or the CLI (`turnout deploy rollback`), and a switch
// asked from the dashboard (the CLI's `turnout deploy switch` runs the same switch_to_slot). The
// policy is shared here, so that a route only maps the answer to a status and the command to an
// exit code. Reporting is a callback: the API reports to the repository of the run that deployed
// the slot, the CLI to its config's repository.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/apps/app_deploy.h"
#include "agent/report/reporting.h"
#include "agent/store/run_history.h"
#include "steps/cancel_token.h"
#include "steps/deploy/canary_order.h"
#include "steps/deploy/slot.h"

namespace turnout::agent {

/// How a hand operation ended.
enum class HandResult {
  done,         ///< traffic is on the slot asked for (rollback: the previous one)
  no_such_app,  ///< no app of that name has a state here (API: 404)
  unreadable,   ///< the app's state or pipeline cannot be read (API: 500)
  failed,       ///< tried and refused or failed, traffic where it was (API: 409)
};

/// What a hand operation answers; every text in it has the app's secrets masked.
struct HandAnswer {
  HandResult result = HandResult::failed;   ///< how it ended
  std::string reason;                       ///< why not; "" when done
  std::optional<steps::deploy::Slot> live;  ///< the live slot afterwards; none when none
  std::vector<std::string> log;             ///< what the operation said, a line each
  bool cancelled = false;                   ///< stopped by the cancel token

  /// True when traffic moved where it was asked to.
  bool ok() const { return result == HandResult::done; }
};

/// Tells of a rollback that succeeded: traffic of app `app` is now on the slot `live` (its sha,
/// the run that deployed it).
using RollbackReport = std::function<void(const std::string& app, const steps::deploy::SlotState& live)>;

/// What a hand rollback needs from its caller besides the app.
struct RollbackHooks {
  const steps::CancelToken& cancel;  ///< stops it before the switch (the CLI's signals)
  steps::deploy::DeployLog log;      ///< each line as it comes, masked; may be empty
  RollbackReport report;             ///< after a rollback that succeeded; may be empty
  std::string to{};  ///< the release: "" = the last live before the current; else a run or commit
};

/// Rolls `app` back to a release that was live (roll_back, `hooks.to`), its log lines and reason masked, the
/// lines also collected in the answer; reports through `hooks.report` when traffic moved. Never no_such_app
/// nor unreadable: the caller has the app.
HandAnswer hand_rollback(const AppDeploy& app, const RollbackHooks& hooks);

/// The same for the app a request names: only an app with a state under `data_dir`
/// (find_deployed_app), else no_such_app; one that cannot be loaded is unreadable.
HandAnswer hand_rollback(const std::string& data_dir, const std::string& name, const RollbackHooks& hooks);

/// A RollbackReport to the repository of the run that deployed the slot now live, as a
/// deployment made `via` ("the agent's API"). Says nothing when the store no longer has that
/// run or it came from no repository (`turnout run` by hand).
RollbackReport report_to_deploying_repo(Reporting& reporting, RunHistory& store, std::string via);

/// A rollback of app `name` under `data_dir` that a person asked for from the agent's side
/// (the API, the dashboard): logged with `via` ("the agent's API") line by line, never
/// cancelled, and reported as a deployment through `reporting` (null: not reported).
HandAnswer served_rollback(const std::string& data_dir, const std::string& name, Reporting* reporting,
                           RunHistory& store, const std::string& via);

/// Points app `name`'s traffic under `data_dir` at `slot`, as a person asked from the agent's
/// side (the dashboard's Switch): the same switch_to_slot as `turnout deploy switch`, with the
/// commands and secrets of the release `slot` runs (started first if it does not run, health
/// checked before the switch), logged with `via` line by line, never cancelled. Only an app
/// with a state under `data_dir` (no_such_app otherwise).
HandAnswer served_switch(const std::string& data_dir, const std::string& name, steps::deploy::Slot slot,
                         const std::string& via);

/// Gives `order` to the canary in progress of app `name` under `data_dir` (`turnout deploy
/// promote|abort`, POST /api/apps/APP/promote|abort) and waits until its deploy took it
/// (steps::deploy::give_canary_order), logged with `via`. Only an app with a state under
/// `data_dir` (no_such_app otherwise); failed, naming why, when no canary of it is in progress or
/// none took the order. Done means taken: the deploy then switches (promote) or takes the canary's
/// share away and fails (abort) on its own.
HandAnswer hand_canary_order(const std::string& data_dir, const std::string& name,
                             steps::deploy::CanaryOrder order, const std::string& via);

}  // namespace turnout::agent
