#pragma once
// Private to the store: the schema of turnout.db as numbered migrations, tracked with
// `PRAGMA user_version`.

#include <string>
#include <vector>

#include "agent/store/connection.h"
#include "util/result.h"

namespace turnout::agent::detail {

/// One step of the schema: the statements that take it from `version - 1` to `version`.
struct Migration {
  int version = 0;                      ///< 1, 2, 3, ... without gaps
  std::vector<std::string> statements;  ///< one SQL statement each
  /// The statements rebuild a table that others reference (SQLite's "make other kinds of table
  /// schema changes"): they run with foreign keys off, so that dropping the old table cascades
  /// nowhere, and the commit is refused when `PRAGMA foreign_key_check` finds a broken reference.
  bool rebuilds_table = false;
};

/// Every migration, oldest first. Append new ones; never edit one that has shipped.
const std::vector<Migration>& schema_migrations();

/// The schema version this build knows up to (the last migration's version).
int latest_schema_version();

/// The database's schema version (`PRAGMA user_version`; 0 for a new file). Throws SqlError.
int schema_version(Connection& connection);

/// Applies the migrations newer than the database, each in its own write transaction that also
/// sets user_version, so two processes opening a new file at once migrate it once. Fails (changing
/// nothing) when the database is newer than this build; throws SqlError on SQL errors.
util::Status migrate(Connection& connection);

}  // namespace turnout::agent::detail
