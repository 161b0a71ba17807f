#pragma once
// Private to the run store: the schema of turnout.db as numbered migrations, tracked with
// `PRAGMA user_version`.

#include <Poco/Data/Session.h>

#include <string>
#include <vector>

#include "util/result.h"

namespace turnout::agent::detail {

/// One step of the schema: the statements that take it from `version - 1` to `version`.
struct Migration {
  int version = 0;                      ///< 1, 2, 3, ... without gaps
  std::vector<std::string> statements;  ///< one SQL statement each
};

/// Every migration, oldest first. Append new ones; never edit one that has shipped.
const std::vector<Migration>& schema_migrations();

/// The schema version this build knows up to (the last migration's version).
int latest_schema_version();

/// The database's schema version (`PRAGMA user_version`; 0 for a new file). Throws Poco::Exception.
int schema_version(Poco::Data::Session& session);

/// Applies the migrations newer than the database, each in its own write transaction that also
/// sets user_version, so two processes opening a new file at once migrate it once. Fails (changing
/// nothing) when the database is newer than this build; throws Poco::Exception on SQL errors.
util::Status migrate(Poco::Data::Session& session);

}  // namespace turnout::agent::detail
