#pragma once
// The store's SQLite file, <data>/turnout.db: one connection behind one lock, the schema's
// migrations, and group commit for the writes that must be on disk before their caller goes on.
// The narrow stores (RunHistory, RunQueue, ReportQueue) all talk to SQLite through this.

#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "agent/store/connection.h"
#include "agent/store/group_commit.h"
#include "agent/store/wal_file.h"
#include "util/result.h"

namespace turnout::agent {

namespace detail {

/// `error` with `prefix` before its message; everything else about it (its kind) is kept.
util::Error prefixed(const std::string& prefix, util::Error error);

}  // namespace detail

/// One SQLite file. Safe to use from several threads (one connection, guarded) and from
/// several processes at once (WAL, busy timeout). Every write is one transaction.
class Database {
 public:
  /// Opens (creating when missing) `<data_dir>/turnout.db`, creating data_dir too, and applies
  /// the migrations it has not seen. Fails with a message naming the file.
  static util::Result<std::unique_ptr<Database>> open(const std::string& data_dir);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  /// The database file.
  const std::string& path() const { return path_; }

  /// Runs `body(connection)` under the lock; every failure, thrown or returned, becomes
  /// "run store <path>: <what>: <why>".
  template <typename Body>
  auto locked(const std::string& what, Body&& body) -> decltype(body(std::declval<detail::Connection&>())) {
    std::lock_guard lock(mutex_);
    try {
      auto result = body(*connection_);
      if (!result) return detail::prefixed(prefix(what), result.error());
      return result;
    } catch (const std::exception& error) {
      return util::fail(prefix(what) + error.what());
    }
  }

  /// What is done with the connection in a durable write; it must only write.
  using DurableWriter = std::function<void(detail::Connection&)>;

  /// Runs `write` in a write transaction that is synced to disk before this returns: it
  /// survives a power cut, not only a crash. Writes submitted while another batch is being
  /// committed are committed together, in one transaction (group commit); when any of them
  /// throws, none is written and each caller gets the error, "<what> (with N more)". `write`
  /// runs under the lock on the store's committing thread. In WAL mode the store's syncing
  /// thread then syncs the log, once for every batch committed meanwhile (detail::WalFile);
  /// otherwise the transaction is synced as it commits (synchronous FULL).
  util::Status write_durably(std::string what, DurableWriter write);
  /// write_durably without waiting: `done` gets the outcome once the write is on disk (or
  /// failed), on the store's syncing thread (its committing thread when not in WAL mode).
  /// `done` must be quick, and may use the store (not its lock).
  void write_durably_async(std::string what, DurableWriter write, std::function<void(util::Status)> done);

 private:
  struct DurableWrite {
    std::string what;     ///< for the error
    DurableWriter write;  ///< the write
  };
  using DurableBatch = detail::GroupCommit<DurableWrite, util::Status>;

  /// `wal`: the connection is in WAL mode (durable writes are synced by syncing the log).
  Database(std::string path, std::unique_ptr<detail::Connection> connection, bool wal);
  std::string prefix(const std::string& what) const { return "run store " + path_ + ": " + what + ": "; }
  void commit_batch(const std::vector<DurableBatch::Entry*>& batch);
  /// On the syncing thread: syncs the log, and fails the entries when it cannot.
  void sync_committed(const std::vector<DurableBatch::Entry*>& committed);

  std::string path_;
  std::mutex mutex_;  // guards connection_
  std::unique_ptr<detail::Connection> connection_;
  std::unique_ptr<detail::WalFile> wal_;  // null when not in WAL mode; used by the syncing thread
  DurableBatch durable_{
      [this](const auto& batch) { commit_batch(batch); },
      wal_ ? DurableBatch::Syncer([this](const auto& committed) { sync_committed(committed); })
           : DurableBatch::Syncer()};
};

}  // namespace turnout::agent
