#include "agent/store/store_rows.h"

#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <spdlog/spdlog.h>

#include "agent/store/run_store_impl.h"
#include "util/process_identity.h"
#include "util/utc_time.h"

using namespace Poco::Data::Keywords;

namespace turnout::agent::detail {

using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;

const char* const kRunColumns =
    "id, repo, ref, branch, sha, pipeline, trigger, rerun_of, status, reason, queued_at, started_at, "
    "finished_at, repo_name, scheduled, concurrency, superseded_by";

// SQLite's messages come as "<kind>: <text>: <text>" through Poco; say the text once.
std::string describe(const Poco::Exception& error) {
  std::string message = error.message();
  const std::size_t half = message.size() >= 2 ? (message.size() - 2) / 2 : 0;
  if (half > 0 && message.compare(half, 2, ": ") == 0 &&
      message.compare(0, half, message, half + 2, std::string::npos) == 0) {
    message.resize(half);
  }
  return message.empty() ? error.displayText() : std::string(error.name()) + ": " + message;
}

util::Error prefixed(const std::string& prefix, util::Error error) {
  error.message.insert(0, prefix);
  return error;
}

std::string text(const RecordSet& rows, std::size_t column, std::size_t row) {
  return rows.value(column, row).convert<std::string>();
}

Poco::Int64 integer(const RecordSet& rows, std::size_t column, std::size_t row) {
  return rows.value(column, row).convert<Poco::Int64>();
}

std::optional<Poco::Int64> nullable_integer(const RecordSet& rows, std::size_t column, std::size_t row) {
  if (rows.isNull(column, row)) return std::nullopt;
  return integer(rows, column, row);
}

Poco::Nullable<Poco::Int64> to_nullable(const std::optional<Poco::Int64>& value) {
  return value ? Poco::Nullable<Poco::Int64>(*value) : Poco::Nullable<Poco::Int64>();
}

RunStatus status_of(const std::string& name, Poco::Int64 id) {
  if (auto status = parse_run_status(name)) return *status;
  // The schema's CHECK constraint keeps this from happening; say so loudly if it does.
  throw Poco::DataException("run " + std::to_string(id) + " has unknown status '" + name + "'");
}

RunRecord run_from_row(const RecordSet& rows, std::size_t row) {
  RunRecord run;
  run.id = integer(rows, 0, row);
  run.repo = text(rows, 1, row);
  run.ref = text(rows, 2, row);
  run.branch = text(rows, 3, row);
  run.sha = text(rows, 4, row);
  run.pipeline = text(rows, 5, row);
  run.trigger = text(rows, 6, row);
  run.rerun_of = nullable_integer(rows, 7, row);
  run.status = status_of(text(rows, 8, row), run.id);
  run.reason = text(rows, 9, row);
  run.queued_at = text(rows, 10, row);
  run.started_at = text(rows, 11, row);
  run.finished_at = text(rows, 12, row);
  run.repo_name = text(rows, 13, row);
  run.scheduled = integer(rows, 14, row) != 0;
  run.concurrency = text(rows, 15, row);
  run.superseded_by = nullable_integer(rows, 16, row);
  return run;
}

std::optional<RunRecord> read_run(Session& session, Poco::Int64 id) {
  Statement select(session);
  select << "SELECT " << kRunColumns << " FROM runs WHERE id = ?", bind(id), now;
  RecordSet rows(select);
  if (rows.rowCount() == 0) return std::nullopt;
  return run_from_row(rows, 0);
}

const char* const kInsertRun =
    "INSERT INTO runs (repo, ref, branch, sha, pipeline, trigger, rerun_of, status, queued_at, repo_name, "
    "scheduled) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)";

Poco::Int64 insert_run(PreparedStatement& insert, const NewRun& run) {
  insert.execute({run.repo, run.ref, run.branch, run.sha, run.pipeline, run.trigger, nullable(run.rerun_of),
                  util::utc_now(), run.repo_name, run.scheduled ? 1 : 0});
  // Per connection, and the connection is ours while the caller holds the lock.
  return insert.last_insert_rowid();
}

Poco::Int64 insert_run(Session& session, const NewRun& run) {
  PreparedStatement insert(session, kInsertRun);
  return insert_run(insert, run);
}

// Every status change is written by one of the two functions below, inside the caller's write
// transaction, and logged by log_transition once committed.
void write_started(Session& session, Poco::Int64 id, const std::string& pipeline) {
  const auto owner = util::self_identity();
  session << "UPDATE runs SET status = 'running', pipeline = ?, started_at = ?, owner_pid = ?, "
             "owner_start_time = ? WHERE id = ?",
      bind(pipeline), bind(util::utc_now()), bind(static_cast<Poco::Int64>(owner.pid)),
      bind(static_cast<Poco::Int64>(owner.start_time)), bind(id), now;
}

const char* const kWriteFinished =
    "UPDATE runs SET status = ?, reason = ?, finished_at = ?, superseded_by = ? WHERE id = ?";

void write_finished(PreparedStatement& update, Poco::Int64 id, RunStatus status, const std::string& reason,
                    const std::optional<Poco::Int64>& superseded_by) {
  update.execute({to_string(status), reason, util::utc_now(), nullable(superseded_by), id});
}

void write_finished(Session& session, Poco::Int64 id, RunStatus status, const std::string& reason,
                    const std::optional<Poco::Int64>& superseded_by) {
  PreparedStatement update(session, kWriteFinished);
  write_finished(update, id, status, reason, superseded_by);
}

void log_transition(Poco::Int64 id, RunStatus from, RunStatus to) {
  spdlog::info("run {}: {} -> {}", id, to_string(from), to_string(to));
}

Poco::Int64 requeue(Session& session, const RunRecord& run) {
  NewRun again{run.repo, run.ref, run.branch, run.sha, run.pipeline, "requeue", run.id, run.repo_name, true};
  return insert_run(session, again);
}

}  // namespace turnout::agent::detail
