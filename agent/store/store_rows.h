#pragma once
// Private to the store: reading rows into records and the writes that several narrow stores
// share. Every function runs inside the caller's lock (and transaction, when it writes more
// than one row) and throws SqlError on SQL errors.

#include <cstdint>
#include <optional>
#include <string>

#include "agent/store/connection.h"
#include "agent/store/run_record.h"

namespace turnout::agent::detail {

/// The columns run_from_row() reads, in its order, for `SELECT <kRunColumns> FROM runs`.
extern const char* const kRunColumns;

/// The status named `name`; throws SqlError for a name the schema does not allow.
RunStatus status_of(const std::string& name, std::int64_t id);
/// A row of `SELECT <kRunColumns>` as a record (without stages).
RunRecord run_from_row(const SqlRow& row);
/// The run `id` (without stages), or nullopt.
std::optional<RunRecord> read_run(Connection& connection, std::int64_t id);

/// Inserts `run` as queued; returns its id.
std::int64_t insert_run(Connection& connection, const NewRun& run);
/// queued -> running, owned by this process.
void write_started(Connection& connection, std::int64_t id, const std::string& pipeline);
/// -> a final status; `superseded_by` is set when given; finished at `finished_at` ("" now).
void write_finished(Connection& connection, std::int64_t id, RunStatus status, const std::string& reason,
                    const std::optional<std::int64_t>& superseded_by = std::nullopt,
                    const std::string& finished_at = "");
/// Logs `run 42: running -> succeeded`; call it once the change is committed.
void log_transition(std::int64_t id, RunStatus from, RunStatus to);

/// The same commit queued again (trigger `requeue`, rerun_of = `run`) for the agent's queue;
/// returns the new id.
std::int64_t requeue(Connection& connection, const RunRecord& run);

}  // namespace turnout::agent::detail
