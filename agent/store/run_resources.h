#pragma once
// Private to the store: a run's resource figures added up from its steps' rows in SQL, so a
// page of runs gets them in its one query instead of reading every step. Runs inside the
// caller's lock; throws SqlError on SQL errors.

#include <cstdint>
#include <string>

#include "agent/store/connection.h"
#include "agent/store/run_record.h"

namespace turnout::agent::detail {

/// The SQL of `runs_sql` (a `SELECT <kRunColumns> FROM runs … ORDER BY id DESC LIMIT …`, its
/// parameters unchanged) with each run's totals after its columns, newest first: the page is
/// chosen first, then each of its runs' steps is read through the steps' primary key.
std::string with_resources(const std::string& runs_sql);
/// The totals of a row of with_resources(), which follow the run's columns.
RunResources resources_from_row(const SqlRow& row);
/// The totals of run `run_id`'s steps.
RunResources read_resources(Connection& connection, std::int64_t run_id);

}  // namespace turnout::agent::detail
