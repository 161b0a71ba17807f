#include "agent/store/connection.h"

#include <sqlite3.h>

#include <spdlog/spdlog.h>

namespace turnout::agent::detail {
namespace {

constexpr int kBusyTimeoutMs = 10000;

}  // namespace

Connection::Connection(const std::string& path) {
  // NOMUTEX: the Database's lock already keeps every use of the connection to one thread.
  const int code = sqlite3_open_v2(path.c_str(), &db_,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (code != SQLITE_OK) {
    const SqlError error(code, db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code));
    sqlite3_close_v2(db_);
    throw error;
  }
  sqlite3_extended_result_codes(db_, 1);
  try {
    // The busy timeout first: switching to WAL needs a lock another process may hold for a moment.
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA foreign_keys = ON");
    // With WAL, NORMAL loses at most the last commits on a power cut, never consistency.
    exec("PRAGMA synchronous = NORMAL");
  } catch (...) {
    sqlite3_close_v2(db_);
    throw;
  }
}

Connection::~Connection() {
  statements_.clear();
  sqlite3_close_v2(db_);
}

Statement& Connection::statement(std::string_view sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end())
    found = statements_.emplace(std::string(sql), std::make_unique<Statement>(db_, std::string(sql))).first;
  return *found->second;
}

void Connection::exec(const std::string& sql) {
  const int code = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (code != SQLITE_OK) throw_sql_error(db_, code);
}

std::int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

std::int64_t Connection::changes() const { return sqlite3_changes64(db_); }

Transaction::Transaction(Connection& connection, Kind kind) : connection_(connection) {
  connection_.exec(kind == Kind::write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    connection_.exec("ROLLBACK");
  } catch (const SqlError&) {
    // SQLite rolls back by itself on some errors; nothing is left to undo then.
  }
}

void Transaction::commit() {
  connection_.exec("COMMIT");
  open_ = false;
}

PragmaWhile::PragmaWhile(Connection& connection, std::string set, std::string restore)
    : connection_(connection), restore_(std::move(restore)) {
  connection_.exec(set);
}

PragmaWhile::~PragmaWhile() {
  try {
    connection_.exec(restore_);
  } catch (const std::exception& error) {
    spdlog::warn("run store: cannot {}: {}", restore_, error.what());
  }
}

}  // namespace turnout::agent::detail
