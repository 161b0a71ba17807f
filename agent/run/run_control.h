#pragma once
// How the agent stops a run its worker is running (a newer push, a person through the API, a
// shutdown), and what the run becomes then. A deploy stage in progress is never cut short: it
// always finishes or rolls back, and the stop takes effect when it has ended.

#include <mutex>
#include <optional>

#include "agent/store/run_queue.h"
#include "steps/cancel_token.h"
#include "steps/run_observer.h"

namespace turnout::agent {

/// The cancel token of one run, with the reason it was cancelled. Observes the run to know
/// when a deploy stage is in progress. Thread-safe: stop() comes from other threads.
class RunControl : public steps::RunObserver {
 public:
  /// The token the run's Runner polls.
  const steps::CancelToken& token() const { return token_; }
  /// Asks the run to stop and end as `ending` says: at once, or when the deploy stage in
  /// progress has ended. The first request wins; later ones change nothing. Returns false
  /// when the stop waits for a deploy stage.
  bool stop(const RunEnding& ending);
  /// The ending asked for by stop(); nullopt when nobody asked.
  std::optional<RunEnding> ending() const;

  /// Notes a deploy stage starting.
  void stage_started(const pipeline::Stage& stage) override;
  /// Notes it ending, and carries out a stop that waited for it.
  void stage_finished(const pipeline::Stage& stage, const steps::StageResult& result) override;

 private:
  mutable std::mutex mutex_;
  steps::CancelToken token_;
  std::optional<RunEnding> ending_;
  bool in_deploy_ = false;
};

/// How a running `cancel-in-progress` run ends when run `newer` of its branch replaces it.
RunEnding superseded_in_progress(std::int64_t newer);

/// Stops run `id` through `control` when the store names a newer queued run of its branch to
/// replace it (RunQueue::preemptions). For a run that has just loaded a `cancel-in-progress`
/// pipeline: a push that arrived before the run recorded its concurrency did not stop it.
void stop_if_replaced(RunQueue& queue, std::int64_t id, RunControl& control);

}  // namespace turnout::agent
