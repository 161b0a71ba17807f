#pragma once
// One run from request to recorded result: get the code, load its pipeline, record, run, finish.
// Shared by `turnout run`, `turnout rerun`, and the agent's workers.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/run/exit_code.h"
#include "agent/run/run_control.h"
#include "agent/store/run_history.h"
#include "agent/store/run_queue.h"
#include "git/mirror_sync.h"
#include "pipeline/loader.h"
#include "steps/cancel_token.h"
#include "steps/deploy/traffic_feed.h"
#include "steps/run_observer.h"

namespace turnout::agent {

/// What to run and where its code comes from: a folder used as it is, or a repository synced
/// to an exact commit (the pipeline is then read from that commit, never from turnout's disk).
struct RunRequest {
  std::string dir;                             ///< a folder (turnout run --dir); used when remote.url is ""
  git::SyncRequest remote;                     ///< a repository, ref and/or sha (turnout run --repo)
  std::string pipeline_file = ".turnout.yml";  ///< relative to the checkout
  std::vector<std::string> stages;             ///< only these stages; empty = all
  std::string branch;                          ///< overrides the branch for `when.branches`
  Trigger trigger = Trigger::cli;              ///< why it runs
  std::optional<std::int64_t> rerun_of;        ///< set by rerun
};

/// How a request ended.
struct RunOutcome {
  ExitCode code = kExitFailed;  ///< for the process
  std::int64_t run_id = 0;      ///< 0 when nothing was recorded (bad input)
  std::string message;          ///< one line for the person when nothing ran; "" otherwise
  std::vector<pipeline::Diagnostic> problems =
      {};  ///< when the pipeline did not load: each with its position
  /// How the run ended when the store could not record it (full, unwritable): the caller must
  /// record it later, or the run stays `running` with nothing running it; nullopt once recorded.
  std::optional<RunEnding> unrecorded_end = std::nullopt;
};

/// Executes RunRequests against one data folder and store.
class RunExecutor {
 public:
  /// `history` and `observers` must outlive the executor; `observers` see every run besides the
  /// run log and the store recorder that the executor adds itself. `traffic` is the agent's
  /// traffic feed for deploy stages' verify (it must outlive the executor), or why there is none:
  /// by default, that turnout runs outside the agent, which alone receives the feed.
  RunExecutor(std::string data_dir, RunHistory& history, std::vector<steps::RunObserver*> observers,
              steps::deploy::FeedAccess traffic = {});

  /// Gets the code, validates the pipeline and its inputs (a failure there records nothing and
  /// is kExitUsage, or kExitFailed when the remote fails at run time), then records and runs it.
  /// `cancel` stops it (the run ends cancelled).
  RunOutcome execute(const RunRequest& request, const steps::CancelToken& cancel);

  /// Runs `run`, which the agent's queue has already marked running. Everything that goes
  /// wrong is recorded on it, with the reason in its log: a fetch that fails ends it `error`,
  /// an invalid pipeline `failed`; an end the store cannot record is in `unrecorded_end`. A stop through
  /// `control` ends it as the stop asked; a run whose pipeline is `cancel-in-progress` is stopped at once
  /// when `queue` holds a newer run of its branch.
  RunOutcome execute_claimed(const RunRecord& run, const RunRequest& request, RunControl& control,
                             RunQueue& queue);

 private:
  std::string data_dir_;
  RunHistory& store_;
  std::vector<steps::RunObserver*> observers_;
  steps::deploy::FeedAccess traffic_;
};

}  // namespace turnout::agent
