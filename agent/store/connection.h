#pragma once
// Private to the store: one SQLite connection with turnout's settings, the statements compiled
// for it, and transactions.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "agent/store/statement.h"

namespace turnout::agent::detail {

/// One connection to a SQLite file. Not thread-safe: the Database's lock guards it.
class Connection {
 public:
  /// Opens (creating when missing) `path` with turnout's settings: WAL, a 10 s busy timeout,
  /// foreign keys on, synchronous NORMAL. Throws SqlError when the file cannot be opened or is
  /// no database.
  explicit Connection(const std::string& path);
  /// Finalizes the statements, then closes the connection.
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// The statement of `sql`, compiled once for this connection and kept: the store runs the
  /// same few statements again and again.
  Statement& statement(std::string_view sql);
  /// Runs `sql` (no parameters) compiled anew: a PRAGMA whose effect SQLite applies while
  /// compiling it (synchronous) must not come from a kept statement. Throws SqlError.
  void exec(const std::string& sql);
  /// The rowid of the row this connection inserted last (by any statement).
  std::int64_t last_insert_rowid() const;
  /// How many rows this connection's last INSERT, UPDATE or DELETE changed.
  std::int64_t changes() const;

 private:
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  sqlite3* db_ = nullptr;
  // Declared after db_, so finalized before it closes.
  std::unordered_map<std::string, std::unique_ptr<Statement>, TextHash, std::equal_to<>> statements_;
};

/// A transaction that rolls back unless commit() is called. A write transaction takes SQLite's
/// write lock at once (BEGIN IMMEDIATE): a deferred one that reads and then writes could fail
/// with "database is locked" without waiting when another process writes at the same time.
class Transaction {
 public:
  /// How the transaction starts.
  enum class Kind { read, write };
  /// Begins it; throws SqlError (after the busy timeout when another process writes).
  Transaction(Connection& connection, Kind kind);
  /// Rolls back unless committed; never throws.
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  /// Commits; throws SqlError (then the destructor rolls back).
  void commit();

 private:
  Connection& connection_;
  bool open_ = true;
};

/// A setting changed while it lives and put back after (`PRAGMA synchronous = FULL` for a commit
/// that must reach the disk, `PRAGMA foreign_keys = OFF` for a table rebuild).
class PragmaWhile {
 public:
  /// Runs `set` now (throws SqlError) and `restore` when destroyed.
  PragmaWhile(Connection& connection, std::string set, std::string restore);
  /// Runs `restore`; never throws: a failure is logged as a warning.
  ~PragmaWhile();
  PragmaWhile(const PragmaWhile&) = delete;
  PragmaWhile& operator=(const PragmaWhile&) = delete;

 private:
  Connection& connection_;
  std::string restore_;
};

}  // namespace turnout::agent::detail
