#pragma once
// The run store: SQLite in <data>/turnout.db through Poco::Data, WAL, numbered migrations.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/store/report_record.h"
#include "agent/store/run_record.h"
#include "util/process_identity.h"
#include "util/result.h"

namespace turnout::agent {

/// What a new run is about; the store adds id, status queued and queued_at.
struct NewRun {
  std::string repo;                      ///< see RunRecord
  std::string ref;                       ///< see RunRecord
  std::string branch;                    ///< see RunRecord
  std::string sha;                       ///< see RunRecord
  std::string pipeline;                  ///< see RunRecord
  std::string trigger;                   ///< see RunRecord
  std::optional<std::int64_t> rerun_of;  ///< see RunRecord
  std::string repo_name{};               ///< see RunRecord
  bool scheduled = false;                ///< see RunRecord
};

/// How a run ends: its final status and why. A run the agent had to stop before it could finish
/// (`requeue`) is queued again in the same transaction, so its push is not lost.
struct RunEnding {
  RunStatus status = RunStatus::failed;         ///< a final status
  std::string reason;                           ///< "" when it succeeded
  std::optional<std::int64_t> superseded_by{};  ///< with status superseded: the run that replaced it
  bool requeue = false;                         ///< queue the same commit again (trigger `requeue`)
};

/// One webhook delivery as the store keeps it (table `deliveries`).
struct DeliveryRecord {
  std::string delivery_id;  ///< X-GitHub-Delivery; GitHub reuses it when a person redelivers
  std::string event;        ///< X-GitHub-Event: push, ping, pull_request, ...
  std::string repo;         ///< repository.full_name, "" when the payload has none
  std::string ref;          ///< pushed ref, "" for other events
  std::string sha;          ///< pushed commit (`after`), "" for other events
  std::string result;       ///< queued, ignored, pong
  std::string reason;       ///< why, as answered
};

/// What queue_delivery did.
struct QueuedDelivery {
  std::int64_t run_id = 0;  ///< the new run, or the still-active run of a duplicate
  bool duplicate = false;   ///< true: the delivery's run is still queued or running, nothing was written
  std::vector<std::int64_t> superseded{};  ///< older queued runs of the branch this one replaced
  /// The branch's pipeline says `concurrency: cancel-in-progress` (as its newest run that loaded
  /// one recorded): the new run may replace a running one, so preemptions() is worth asking.
  bool cancel_in_progress = false;
};

/// A running run whose pipeline says `concurrency: cancel-in-progress`, and the newer queued run
/// of its branch that should replace it.
struct Preemption {
  std::int64_t running = 0;  ///< the run to cancel
  std::int64_t newer = 0;    ///< the newest queued run of the same repository and branch
};

/// Counts for /metrics, read in one transaction.
struct StoreStats {
  std::vector<std::pair<std::string, std::int64_t>> deliveries_by_result;  ///< queued, ignored, pong, ...
  std::vector<std::pair<std::string, std::int64_t>> runs_by_status;        ///< every status, 0s included
  std::int64_t queue_depth = 0;                                            ///< runs waiting for a worker
  std::int64_t reports_pending = 0;                                        ///< reports waiting to be sent
};

/// Runs, stages and steps in SQLite. Safe to use from several threads (one connection, guarded)
/// and from several processes at once (WAL, busy timeout). Every write is one transaction.
class RunStore {
 public:
  /// Opens (creating when missing) `<data_dir>/turnout.db`, creating data_dir too, and applies
  /// the migrations it has not seen. Fails with a message naming the file.
  static util::Result<std::unique_ptr<RunStore>> open(const std::string& data_dir);
  ~RunStore();

  /// Adds a run in status queued; returns its id.
  util::Result<std::int64_t> create_run(const NewRun& run);
  /// Records an accepted push and its queued run in one transaction, durable on return. A
  /// delivery id whose last run is still queued or running is a duplicate (nothing written);
  /// one whose run has ended queues a new run with trigger `redelivery`. The run is for the
  /// agent's queue (scheduled), and unless the branch's pipeline says `concurrency: queue` it
  /// supersedes the branch's older queued runs (status superseded, superseded_by = the new run).
  util::Result<QueuedDelivery> queue_delivery(const DeliveryRecord& delivery, const NewRun& run);
  /// Adds a run to the agent's queue (scheduled) without superseding anything: a person asked
  /// for it (a rerun through the API). Durable on return.
  util::Result<std::int64_t> enqueue_run(const NewRun& run);
  /// Takes the oldest queued run of the agent's queue whose repository and branch have no run
  /// going, and marks it running, owned by this process; nullopt when there is none.
  util::Result<std::optional<RunRecord>> claim_next();
  /// Records the pipeline a running run loaded: its name and its `concurrency`.
  util::Status set_pipeline(std::int64_t id, const std::string& name, const std::string& concurrency);
  /// Ends a run that is still queued (cancelled, with `reason`); false when it was not queued.
  util::Result<bool> cancel_queued(std::int64_t id, const std::string& reason);
  /// Running `cancel-in-progress` runs that a newer queued run of their branch should replace.
  util::Result<std::vector<Preemption>> preemptions();
  /// Counts of deliveries and runs for /metrics.
  util::Result<StoreStats> stats();
  /// Records a delivery that queued nothing (ignored, pong).
  util::Status record_delivery(const DeliveryRecord& delivery);
  /// queued -> running: sets started_at, the pipeline name, and who runs it (this process: its
  /// pid and start time, so a later process can tell that it is gone).
  util::Status start_run(std::int64_t id, const std::string& pipeline);
  /// Moves a run to a final status with a reason, sets finished_at. A run already final is left alone.
  util::Status finish_run(std::int64_t id, RunStatus status, const std::string& reason);
  /// Likewise, with everything RunEnding says (superseded_by, queueing the commit again).
  util::Status finish_run(std::int64_t id, const RunEnding& ending);
  /// Records the stage at `index` (insert or update: name, status, reason, times).
  util::Status record_stage(std::int64_t run_id, const StageRecord& stage);
  /// Records a step of stage `stage_index` (insert or update).
  util::Status record_step(std::int64_t run_id, int stage_index, const StepRecord& step);
  /// Records the process group a running step leads (its leader's pid and start time).
  util::Status record_step_group(std::int64_t run_id, int stage_index, int step_index,
                                 const util::ProcessIdentity& leader);

  /// The newest `limit` runs, newest first, without stages.
  util::Result<std::vector<RunRecord>> list(int limit);
  /// One run with its stages and steps; nullopt when there is no such id.
  util::Result<std::optional<RunRecord>> get(std::int64_t id);

  /// Marks `error` with reason "interrupted" every run left `running` by a process that is gone
  /// (its pid is dead, or now belongs to a process with another start time), and queues again
  /// the newest such run of the agent's queue per repository and branch, unless a newer run of
  /// that branch is already queued or running. Returns the interrupted ids.
  util::Result<std::vector<std::int64_t>> mark_interrupted();
  /// The process groups that the steps of run `run_id` were running when it was interrupted:
  /// the steps still `running` with a recorded group. Marks those steps failed, "interrupted".
  util::Result<std::vector<util::ProcessIdentity>> take_interrupted_groups(std::int64_t run_id);

  /// Queues a report (reporting.h); when `bound` reports are already pending, the oldest
  /// pending commit status (else the oldest report) is dropped to make room, with a log line.
  /// Returns the new report's id.
  util::Result<std::int64_t> enqueue_report(const NewReport& report, std::int64_t bound);
  /// Up to `limit` pending reports due at `now_ms` (Unix ms) whose order_key has no older
  /// pending report, oldest first, each with the state of the report it depends on.
  util::Result<std::vector<ReportRecord>> due_reports(std::int64_t now_ms, int limit);
  /// The earliest next_attempt_at of the pending reports; nullopt when none is pending.
  util::Result<std::optional<std::int64_t>> next_report_due();
  /// Ends report `id` as `state` (sent or dropped) with `note` (why it was dropped) and, for a
  /// sent deployment, GitHub's id of it.
  util::Status end_report(std::int64_t id, ReportState state, const std::string& note,
                          std::optional<std::int64_t> result_id = std::nullopt);
  /// Puts report `id` off until `next_attempt_ms`, noting `error`; `count` adds a failed attempt.
  util::Status retry_report(std::int64_t id, std::int64_t next_attempt_ms, const std::string& error,
                            bool count);
  /// Every report of run `run_id`, oldest first (for tests and people).
  util::Result<std::vector<ReportRecord>> reports_of_run(std::int64_t run_id);
  /// Deletes the sent and dropped reports but the newest `keep` (never one a pending report
  /// depends on); returns how many went.
  util::Result<std::int64_t> prune_reports(std::int64_t keep);
  /// The newest pipeline name a run of agent-config repository `repo_name` loaded; "" if none.
  util::Result<std::string> latest_pipeline(const std::string& repo_name);

  /// The database file.
  const std::string& path() const;

  /// A seam for the scheduler's tests: `hook` runs on the claiming thread each time claim_next()
  /// has looked at the queue, once the store is free again (so it may use the store); that is
  /// where a push can land unseen by the claim. Set it before anything claims; empty: none.
  void after_claim_for_test(std::function<void()> hook);

 private:
  struct Impl;
  explicit RunStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace turnout::agent
