#pragma once
// Private to the run store: reading rows into records and the writes that several of the
// store's files share. Every function runs inside the caller's lock (and transaction, when it
// writes more than one row) and throws Poco::Exception on SQL errors.

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>
#include <Poco/Nullable.h>

#include <cstddef>
#include <optional>
#include <string>

#include "agent/store/prepared_statement.h"
#include "agent/store/run_record.h"
#include "agent/store/run_store.h"
#include "util/result.h"

namespace turnout::agent::detail {

/// The columns run_from_row() reads, in its order, for `SELECT <kRunColumns> FROM runs`.
extern const char* const kRunColumns;

/// A cell as text.
std::string text(const Poco::Data::RecordSet& rows, std::size_t column, std::size_t row);
/// A cell as an integer.
Poco::Int64 integer(const Poco::Data::RecordSet& rows, std::size_t column, std::size_t row);
/// A cell that may be NULL.
std::optional<Poco::Int64> nullable_integer(const Poco::Data::RecordSet& rows, std::size_t column,
                                            std::size_t row);
/// An optional as the NULL-able value Poco binds.
Poco::Nullable<Poco::Int64> to_nullable(const std::optional<Poco::Int64>& value);

/// The status named `name`; throws Poco::DataException for a name the schema does not allow.
RunStatus status_of(const std::string& name, Poco::Int64 id);
/// A row of `SELECT <kRunColumns>` as a record (without stages).
RunRecord run_from_row(const Poco::Data::RecordSet& rows, std::size_t row);
/// The run `id` (without stages), or nullopt.
std::optional<RunRecord> read_run(Poco::Data::Session& session, Poco::Int64 id);

/// The SQL of insert_run, for a PreparedStatement kept by the caller.
extern const char* const kInsertRun;
/// Inserts `run` as queued; returns its id.
Poco::Int64 insert_run(Poco::Data::Session& session, const NewRun& run);
/// insert_run through `insert`, a PreparedStatement of kInsertRun.
Poco::Int64 insert_run(PreparedStatement& insert, const NewRun& run);
/// queued -> running, owned by this process.
void write_started(Poco::Data::Session& session, Poco::Int64 id, const std::string& pipeline);
/// -> a final status; `superseded_by` is set when given.
void write_finished(Poco::Data::Session& session, Poco::Int64 id, RunStatus status, const std::string& reason,
                    const std::optional<Poco::Int64>& superseded_by = std::nullopt);
/// The SQL of write_finished, for a PreparedStatement kept by the caller.
extern const char* const kWriteFinished;
/// write_finished through `update`, a PreparedStatement of kWriteFinished.
void write_finished(PreparedStatement& update, Poco::Int64 id, RunStatus status, const std::string& reason,
                    const std::optional<Poco::Int64>& superseded_by = std::nullopt);
/// Logs `run 42: running -> succeeded`; call it once the change is committed.
void log_transition(Poco::Int64 id, RunStatus from, RunStatus to);

/// The same commit queued again (trigger `requeue`, rerun_of = `run`) for the agent's queue;
/// returns the new id.
Poco::Int64 requeue(Poco::Data::Session& session, const RunRecord& run);

/// `error` with `prefix` before its message; everything else about it (its kind) is kept.
util::Error prefixed(const std::string& prefix, util::Error error);

}  // namespace turnout::agent::detail
