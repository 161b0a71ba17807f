#pragma once
// The store's write-ahead log (<db>-wal) as a file to sync. In WAL mode a commit writes its pages
// to the log; it is durable once the log is synced (synchronous = FULL syncs it inside the
// commit). The group commit's syncing thread syncs it here instead, on a descriptor of its own,
// so that the committing thread can write the next batch meanwhile: an fsync covers the file,
// whichever descriptor asks, and every write that returned before it began.

#include <string>

#include "util/result.h"

namespace turnout::agent::detail {

/// One SQLite database's write-ahead log, opened read-only for syncing.
class WalFile {
 public:
  /// The log of the database file `database_path` (`<database_path>-wal`); opened at the first
  /// sync.
  explicit WalFile(std::string database_path);
  ~WalFile();
  WalFile(const WalFile&) = delete;
  WalFile& operator=(const WalFile&) = delete;

  /// Makes durable (fdatasync) everything written to the log before this call. Opens the log
  /// again when the file at its path is not the one open (SQLite removed and made it anew).
  /// Fails, naming the file, when it cannot open or sync it.
  util::Status sync();

 private:
  util::Status open_current();

  std::string path_;
  int fd_ = -1;
};

}  // namespace turnout::agent::detail
