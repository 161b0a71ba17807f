#pragma once
// The runs the store keeps, with their stages and steps: creating, starting and ending a run,
// recording what its stages and steps did, reading them back, and cleaning up after a turnout
// that was killed.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/store/database.h"
#include "agent/store/run_record.h"
#include "util/process_identity.h"
#include "util/result.h"

namespace turnout::agent {

/// Runs, stages and steps in the database (tables runs, stages, steps).
class RunHistory {
 public:
  /// On `database`, which must outlive this.
  explicit RunHistory(Database& database) : database_(database) {}

  /// Adds a run in status queued; returns its id.
  util::Result<std::int64_t> create_run(const NewRun& run);
  /// queued -> running: sets started_at, the pipeline name, and who runs it (this process: its
  /// pid and start time, so a later process can tell that it is gone).
  util::Status start_run(std::int64_t id, const std::string& pipeline);
  /// Records the pipeline a running run loaded: its name and its `concurrency`.
  util::Status set_pipeline(std::int64_t id, const std::string& name, pipeline::Concurrency concurrency);
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
  /// Records the commit a run queued for a branch's head (sha "") was checked out at; a run
  /// whose commit is known is left alone.
  util::Status set_commit(std::int64_t id, const std::string& sha);
  /// One page of runs, newest first, without stages: those `filter` lets through, older than
  /// `filter.before`; up to `filter.limit`. Each filter has an index, and a page starts at an id
  /// (not an offset), so a page costs the same whatever the history's length.
  util::Result<RunPage> page(const RunFilter& filter);
  /// The scheduled run that queued run `run` waits for: the running one of its repository and
  /// branch, if any.
  util::Result<std::optional<std::int64_t>> waits_for(const RunRecord& run);
  /// One run with its stages and steps; nullopt when there is no such id.
  util::Result<std::optional<RunRecord>> get(std::int64_t id);
  /// The newest pipeline name a run of agent-config repository `repo_name` loaded; "" if none.
  util::Result<std::string> latest_pipeline(const std::string& repo_name);

  /// Marks `error` with reason "interrupted" every run left `running` by a process that is gone
  /// (its pid is dead, or now belongs to a process with another start time), and queues again
  /// the newest such run of the agent's queue per repository and branch, unless a newer run of
  /// that branch is already queued or running. Returns the interrupted ids.
  util::Result<std::vector<std::int64_t>> mark_interrupted();
  /// The process groups that the steps of run `run_id` were running when it was interrupted:
  /// the steps still `running` with a recorded group. Marks those steps failed, "interrupted".
  util::Result<std::vector<util::ProcessIdentity>> take_interrupted_groups(std::int64_t run_id);

  /// The database file.
  const std::string& path() const { return database_.path(); }

 private:
  Database& database_;
};

}  // namespace turnout::agent
