#pragma once
// A deployed app as the hand operations (`turnout deploy ...`, the agent's start-up) need it:
// its state, and the `deploy:` it was deployed with, read back from the pipeline file kept in
// its live (or newest) release, so that rollback and bootup run the same commands a deploy ran.

#include <optional>
#include <string>
#include <vector>

#include "pipeline/pipeline.h"
#include "steps/deploy/app_state.h"
#include "steps/deploy/blue_green.h"
#include "util/result.h"

namespace turnout::agent {

/// One app, ready to operate.
struct AppDeploy {
  steps::deploy::AppState state;   ///< as state.json says
  pipeline::Pipeline pipeline;     ///< the pipeline its deploy came from
  pipeline::Deploy deploy;         ///< the stage's `deploy:`
  steps::deploy::DeploySite site;  ///< data dir and the commands' environment
  /// Values of the pipeline's `secrets` found in this process's environment: in the commands'
  /// environment, as a run gives them, and masked in the operation's log (masked_log).
  std::vector<std::string> secret_values{};
  /// Names of the pipeline's `secrets` this process's environment lacks (warn_unset_secrets).
  std::vector<std::string> unset_secrets{};
};

/// Loads app `app` of `data_dir`. Fails naming what is missing: no such app, no release with a
/// pipeline, no deploy stage for the app in it.
util::Result<AppDeploy> load_app_deploy(const std::string& data_dir, const std::string& app);

/// App `name` as a request names it (the API): only one with a state under `data_dir/apps`, so
/// that a name from outside never picks a folder of its own; not_found naming it otherwise.
util::Result<AppDeploy> find_deployed_app(const std::string& data_dir, const std::string& name);

/// The same, but with the `deploy:` and environment of the release `slot` runs (or would run):
/// starting that slot again runs its own version's commands with its own variables (the
/// proxy stays the live one's: traffic is where it is now). Falls back to the live slot's
/// (always, for no `slot`).
util::Result<AppDeploy> load_app_deploy(const std::string& data_dir, const std::string& app,
                                        std::optional<steps::deploy::Slot> slot);

/// Points `app`'s traffic back at a release that was live (steps::deploy::roll_back_to): with
/// `to` empty the last one before the current one, else the one of run or commit `to`. Starts it
/// again when it does not run, with its own pipeline's commands and secrets (masked by the
/// caller's `log`). Fails, changing nothing, when there is no such release.
steps::deploy::DeployOutcome roll_back(const AppDeploy& app, const std::string& to,
                                       const steps::CancelToken& cancel, const steps::deploy::DeployLog& log);

/// `text` with `app`'s secrets masked: a hand operation prints what its commands and probes
/// said, in its log and in the reason it failed.
std::string masked(const AppDeploy& app, std::string text);

/// `log` with `app`'s secrets masked in every line.
steps::deploy::DeployLog masked_log(const AppDeploy& app, steps::deploy::DeployLog log);

/// Says through `log`, a line each, which of the pipeline's secrets this process's environment
/// lacks: `app`'s commands run without them. Nothing when none is missing.
void warn_unset_secrets(const AppDeploy& app, const steps::deploy::DeployLog& log);

/// Finishes or undoes the unfinished deploy of every app with a journal (after a crash), logging
/// what it did. Used at the agent's start.
void reconcile_all_apps(const std::string& data_dir);

}  // namespace turnout::agent
