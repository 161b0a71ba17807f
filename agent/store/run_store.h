#pragma once
// The run store: SQLite in <data>/turnout.db through Poco::Data, WAL, numbered migrations.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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
  /// one whose run has ended queues a new run with trigger `redelivery`.
  util::Result<QueuedDelivery> queue_delivery(const DeliveryRecord& delivery, const NewRun& run);
  /// Records a delivery that queued nothing (ignored, pong).
  util::Status record_delivery(const DeliveryRecord& delivery);
  /// queued -> running: sets started_at, the pipeline name, and who runs it (this process: its
  /// pid and start time, so a later process can tell that it is gone).
  util::Status start_run(std::int64_t id, const std::string& pipeline);
  /// Moves a run to a final status with a reason, sets finished_at. A run already final is left alone.
  util::Status finish_run(std::int64_t id, RunStatus status, const std::string& reason);
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
  /// (its pid is dead, or now belongs to a process with another start time). Returns their ids.
  util::Result<std::vector<std::int64_t>> mark_interrupted();
  /// The process groups that the steps of run `run_id` were running when it was interrupted:
  /// the steps still `running` with a recorded group. Marks those steps failed, "interrupted".
  util::Result<std::vector<util::ProcessIdentity>> take_interrupted_groups(std::int64_t run_id);

  /// The database file.
  const std::string& path() const;

 private:
  struct Impl;
  explicit RunStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Now, as ISO-8601 UTC with milliseconds: 2026-11-22T10:00:00.123Z.
std::string utc_now();

}  // namespace turnout::agent
