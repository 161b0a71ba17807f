#pragma once
// Private to the run store: opening a SQLite file through Poco::Data, and transactions.

#include <Poco/Data/Session.h>

#include <string>

namespace turnout::agent::detail {

/// Opens (creating when missing) the SQLite file `db_path` with turnout's settings: WAL, a 10 s
/// busy timeout, foreign keys on, synchronous NORMAL. Registers the SQLite connector on first use
/// (thread-safe). Throws Poco::Exception when the file cannot be opened or is no database.
Poco::Data::Session open_session(const std::string& db_path);

/// A transaction that rolls back unless commit() is called. A write transaction takes SQLite's
/// write lock at once (BEGIN IMMEDIATE): a deferred one that reads and then writes could fail
/// with "database is locked" without waiting when another process writes at the same time.
class Transaction {
 public:
  /// How the transaction starts.
  enum class Kind { read, write };
  /// Begins it; throws Poco::Exception (after the busy timeout when another process writes).
  Transaction(Poco::Data::Session& session, Kind kind);
  /// Rolls back unless committed; never throws.
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  /// Commits; throws Poco::Exception (then the destructor rolls back).
  void commit();

 private:
  Poco::Data::Session& session_;
  bool open_ = true;
};

}  // namespace turnout::agent::detail
