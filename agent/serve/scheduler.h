#pragma once
// The agent's workers (ARCHITECTURE.md, "Data flow": queue -> workers): `workers` threads take queued
// runs off the store, oldest first, never two of one repository and branch at once; a newer
// push replaces a running `cancel-in-progress` run; SIGTERM lets running steps go on for a
// grace period, then stops them and queues their commits again.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/config/agent_config.h"
#include "agent/metrics/metrics.h"
#include "agent/report/reporting.h"
#include "agent/run/run_control.h"
#include "agent/store/run_history.h"
#include "agent/store/run_queue.h"
#include "git/libgit2_session.h"
#include "steps/deploy/traffic_feed.h"
#include "util/reloadable.h"

namespace turnout::agent {

/// What stop_run() did.
enum class StopAnswer {
  stopping,      ///< the run is being cancelled
  after_deploy,  ///< it will stop when its deploy stage has ended
  not_here,      ///< this agent is not running it
};

/// What cancel() did; the API answers each with its own status.
enum class CancelResult {
  cancelled,    ///< it was queued and is now cancelled
  stopping,     ///< a worker of this agent is stopping it (now, or when its deploy stage ends)
  no_such_run,  ///< there is no run of that id
  ended,        ///< it had already ended
  elsewhere,    ///< it runs in another turnout process (turnout run), which this agent cannot stop
  failed,       ///< the store failed
};

/// cancel()'s result and, for a person, why.
struct CancelAnswer {
  CancelResult result = CancelResult::failed;  ///< what happened
  std::string reason;                          ///< one line: what it means, or what failed
};

/// What rerun() did.
enum class RerunResult {
  queued,       ///< a new run of the same commit waits in the queue
  no_such_run,  ///< there is no run of that id
  no_commit,    ///< the run ran in a plain folder: there is no commit to run again
  failed,       ///< the store failed
};

/// rerun()'s result, the new run, and for a person why.
struct RerunAnswer {
  RerunResult result = RerunResult::failed;  ///< what happened
  std::string reason;                        ///< one line: what it means, or what failed
  std::int64_t run = 0;                      ///< with queued: the new run's id
};

/// What of agent.yml the scheduler reads.
struct SchedulerConfig {
  ReposConfig repos;                          ///< where each repository's pipeline is, what to fetch with
  std::string data_dir = "/var/lib/turnout";  ///< run logs, mirrors, releases
  int workers = 2;                            ///< runs at a time
  steps::deploy::FeedAccess traffic;          ///< the agent's traffic feed, for deploys' verify, or why none
};

/// The stores the scheduler works on.
struct SchedulerStores {
  RunQueue& queue;      ///< the runs it takes
  RunHistory& history;  ///< what it records of them
};

/// What trigger() did.
enum class TriggerResult {
  queued,        ///< a run of the branch's head waits in the queue
  unknown_repo,  ///< agent.yml has no such repository
  refused,       ///< the branch is not a branch name, or not one the repository's `branches:` watch
  no_url,        ///< neither agent.yml nor an earlier push says where to fetch the repository
  failed,        ///< the store failed
};

/// trigger()'s result, the new run, and for a person why.
struct TriggerAnswer {
  TriggerResult result = TriggerResult::failed;  ///< what happened
  std::string reason;                            ///< one line: what it means, or what failed
  std::int64_t run = 0;                          ///< with queued: the new run's id
};

/// Runs the agent's queue with a fixed set of worker threads.
class Scheduler {
 public:
  /// `stores`, `metrics` and `reporting` (null: nothing is reported) must outlive the
  /// scheduler. An idle worker looks at the queue every `poll` even when nobody announced a run
  /// (a run queued by another process is not). Nothing runs before start().
  Scheduler(SchedulerConfig config, SchedulerStores stores, Metrics& metrics, Reporting* reporting = nullptr,
            std::chrono::milliseconds poll = std::chrono::seconds(1));
  /// shutdown() with no grace, if it was not called.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// Starts config.workers threads.
  void start();
  /// The repositories' settings (pipeline file, fetch credentials) for the runs started from now
  /// on; a run under way keeps those it started with. data_dir and workers stay as they were.
  void reload(const ReposConfig& repos) { repos_.replace(repos); }
  /// A run was queued: wakes a worker (one that is looking at the queue right now looks again),
  /// retries at once the ends the store could not record (it wrote the run), and, when `may_preempt`, stops
  /// the running `cancel-in-progress` runs it replaces. Never waits for a worker's store call. A push passes
  /// false when its branch's pipeline is not `cancel-in-progress`: asking the store takes its lock once more
  /// per push, which cost the intake 10–30% of its throughput under a flood (BENCHMARKS.md, 2026-11-30).
  void notify_queued(bool may_preempt = true);
  /// Stops run `id` if a worker of this agent runs it, ending it as `ending` says. Never waits
  /// for a worker's store call.
  StopAnswer stop_run(std::int64_t id, const RunEnding& ending);
  /// A person asks to cancel run `id` (ending `cancelled` with `reason`): a queued run is
  /// cancelled in the store, a running one of this agent stopped; any other is left alone, and
  /// the answer says why (ended, ended but not yet recorded, run by `turnout run` elsewhere).
  CancelAnswer cancel(std::int64_t id, const std::string& reason);
  /// A person asks to run run `id`'s commit again: queues a run (trigger `rerun`) behind the
  /// runs of its branch, superseding nothing, and wakes a worker.
  RerunAnswer rerun(std::int64_t id);
  /// A person asks to run the head of `branch` of agent.yml's repository `repo_name` now:
  /// queues a run (trigger `manual`) of the branch, whose commit is the head the run fetches,
  /// behind the runs of its branch, superseding nothing; only a branch its `branches:` watch.
  TriggerAnswer trigger(const std::string& repo_name, const std::string& branch);
  /// Takes no more runs; lets the running ones go on for up to `grace`, then stops them (each
  /// ends `error: interrupted` and its commit is queued again); returns when every worker is done.
  /// Queued runs stay queued. Idempotent.
  void shutdown(std::chrono::milliseconds grace);
  /// How many runs have ended without the store recording it yet (a full or unwritable disk):
  /// each stays `running` in the store, and its branch waits, until a retry records it.
  std::size_t unrecorded_ends();

 private:
  void work();
  bool wait_for_change(std::uint64_t seen);
  void run_claimed(const RunRecord& run, std::optional<git::Libgit2Session>& libgit2);
  std::shared_ptr<RunControl> take(const RunRecord& run);
  void run(const RunRecord& run, RunControl& control);
  void preempt();
  void end_run(const RunRecord& run, const RunEnding& ending, bool queued_again);
  void keep_unrecorded(const RunRecord& run, const RunEnding& ending, bool queued_again);
  void record_unrecorded();
  std::optional<CancelAnswer> unrecorded_answer(std::int64_t id);

  /// A run's end that the store could not record, and when to try again.
  struct UnrecordedEnd {
    std::string repo_name;                        // for the report once it is recorded
    RunEnding ending;                             // what to record
    bool queued_again = false;                    // a shutdown stopped it: its commit is queued again
    std::chrono::steady_clock::time_point retry;  // not before
    std::chrono::milliseconds backoff;            // doubled after each failure, up to a minute
  };

  const SchedulerConfig config_;
  util::Reloadable<ReposConfig> repos_;  // config_.repos, replaced by reload()
  RunQueue& queue_;
  RunHistory& history_;
  Metrics& metrics_;
  Reporting* reporting_;
  std::chrono::milliseconds poll_;
  // Guards what follows; never held across a store call (a busy database would hold up every
  // notify, stop and worker behind one claim).
  std::mutex mutex_;
  std::condition_variable changed_;  // a run queued or ended, or stopping
  // Counts the runs queued and ended: a worker that saw no run waits only if it did not change
  // since before it looked, so a push that lands while it looks is not missed.
  std::uint64_t changes_ = 0;
  bool stopping_ = false;
  std::map<std::int64_t, std::shared_ptr<RunControl>> running_;
  // Ended runs that the store still shows `running`: a worker retries each with backoff, and
  // all at once when a push was written (the store can write again).
  std::map<std::int64_t, UnrecordedEnd> unrecorded_;
  bool recording_ = false;  // a worker is retrying them: the others go on with the queue
  std::vector<std::thread> workers_;
};

}  // namespace turnout::agent
