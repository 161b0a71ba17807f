#include "agent/store/store_rows.h"

#include <spdlog/spdlog.h>

#include "agent/store/status_change.h"
#include "util/process_identity.h"
#include "util/utc_time.h"

namespace turnout::agent::detail {

const char* const kRunColumns =
    "id, repo, ref, branch, sha, pipeline, trigger, rerun_of, status, reason, queued_at, started_at, "
    "finished_at, repo_name, scheduled, concurrency, superseded_by, message";

namespace {
// What the store keeps of a commit's message: enough for any page, not a megabyte per push.
constexpr std::size_t kMaxMessage = 4096;
}  // namespace

RunStatus status_of(const std::string& name, std::int64_t id) {
  if (auto status = parse_run_status(name)) return *status;
  // The schema's CHECK constraint keeps this from happening; say so loudly if it does.
  throw SqlError(0, "run " + std::to_string(id) + " has unknown status '" + name + "'");
}

namespace {

// The trigger named `name`; throws SqlError for a name turnout never writes.
Trigger trigger_of(const std::string& name, std::int64_t id) {
  if (auto trigger = parse_trigger(name)) return *trigger;
  throw SqlError(0, "run " + std::to_string(id) + " has unknown trigger '" + name + "'");
}

}  // namespace

RunRecord run_from_row(const SqlRow& row) {
  RunRecord run;
  run.id = row.integer(0);
  run.repo = row.text(1);
  run.ref = row.text(2);
  run.branch = row.text(3);
  run.sha = row.text(4);
  run.pipeline = row.text(5);
  run.trigger = trigger_of(row.text(6), run.id);
  run.rerun_of = row.nullable_integer(7);
  run.status = status_of(row.text(8), run.id);
  run.reason = row.text(9);
  run.queued_at = row.text(10);
  run.started_at = row.text(11);
  run.finished_at = row.text(12);
  run.repo_name = row.text(13);
  run.scheduled = row.integer(14) != 0;
  run.concurrency = pipeline::parse_concurrency(row.text(15));
  run.superseded_by = row.nullable_integer(16);
  run.message = row.text(17);
  return run;
}

std::optional<RunRecord> read_run(Connection& connection, std::int64_t id) {
  static const std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?";
  const auto rows = connection.statement(sql).rows({id});
  if (rows.empty()) return std::nullopt;
  return run_from_row(rows.front());
}

std::int64_t insert_run(Connection& connection, const NewRun& run) {
  connection
      .statement(
          "INSERT INTO runs (repo, ref, branch, sha, pipeline, trigger, rerun_of, status, queued_at, "
          "repo_name, scheduled, message) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)")
      .execute({run.repo, run.ref, run.branch, run.sha, run.pipeline, to_string(run.trigger),
                nullable(run.rerun_of), util::utc_now(), run.repo_name, run.scheduled ? 1 : 0,
                std::string_view(run.message).substr(0, kMaxMessage)});
  // Per connection, and the connection is ours while the caller holds the lock.
  return connection.last_insert_rowid();
}

// Every status change of a run is written by one of the two functions below, inside the
// caller's write transaction, and logged by log_transition once committed.
void write_started(Connection& connection, std::int64_t id, const std::string& pipeline) {
  const auto owner = util::self_identity();
  connection
      .statement(
          "UPDATE runs SET status = ?, pipeline = ?, started_at = ?, owner_pid = ?, owner_start_time = ? "
          "WHERE id = ?")
      .execute({to_string(RunStatus::running), pipeline, util::utc_now(), std::int64_t{owner.pid},
                static_cast<std::int64_t>(owner.start_time), id});
}

void write_finished(Connection& connection, std::int64_t id, RunStatus status, const std::string& reason,
                    const std::optional<std::int64_t>& superseded_by, const std::string& finished_at) {
  connection
      .statement("UPDATE runs SET status = ?, reason = ?, finished_at = ?, superseded_by = ? WHERE id = ?")
      .execute({to_string(status), reason, finished_at.empty() ? util::utc_now() : finished_at,
                nullable(superseded_by), id});
}

void log_transition(std::int64_t id, RunStatus from, RunStatus to) {
  log_status_change("run " + std::to_string(id), to_string(from), to_string(to));
}

std::int64_t requeue(Connection& connection, const RunRecord& run) {
  NewRun again{run.repo,         run.ref, run.branch,    run.sha, run.pipeline,
               Trigger::requeue, run.id,  run.repo_name, true,    run.message};
  return insert_run(connection, again);
}

}  // namespace turnout::agent::detail
