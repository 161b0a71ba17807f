#include "agent/store/database.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "agent/store/migrations.h"

namespace turnout::agent {

namespace detail {

util::Error prefixed(const std::string& prefix, util::Error error) {
  error.message.insert(0, prefix);
  return error;
}

}  // namespace detail

namespace {

using detail::Connection;
using detail::Transaction;

// Creates the data directory and checks that SQLite can create its files (db, -wal, -shm) there.
util::Status prepare_data_dir(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return util::fail("cannot create data directory " + dir.string() + ": " + error.message() +
                      ": create it, or choose a data_dir turnout may write");
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return util::fail("data directory " + dir.string() + " is not writable: " + std::strerror(errno) +
                      ": give turnout's user write access, or choose another data_dir");
  }
  return util::Ok{};
}

}  // namespace

Database::Database(std::string path, std::unique_ptr<Connection> connection, bool wal)
    : path_(std::move(path)),
      connection_(std::move(connection)),
      wal_(wal ? std::make_unique<detail::WalFile>(path_) : nullptr) {}

Database::~Database() = default;

util::Result<std::unique_ptr<Database>> Database::open(const std::string& data_dir) {
  if (data_dir.empty()) return util::fail("run store: no data directory given");
  const std::filesystem::path dir(data_dir);
  const std::string path = (dir / "turnout.db").string();
  if (auto ready = prepare_data_dir(dir); !ready)
    return detail::prefixed("run store " + path + ": ", ready.error());
  try {
    auto connection = std::make_unique<Connection>(path);
    if (auto migrated = detail::migrate(*connection); !migrated) {
      return detail::prefixed("run store " + path + ": ", migrated.error());
    }
    const bool wal = connection->statement("PRAGMA journal_mode").first_text().value_or("") == "wal";
    return std::unique_ptr<Database>(new Database(path, std::move(connection), wal));
  } catch (const std::exception& error) {
    return util::fail("run store " + path + ": " + error.what());
  }
}

util::Status Database::write_durably(std::string what, DurableWriter write) {
  return durable_.submit(DurableWrite{std::move(what), std::move(write)});
}

void Database::write_durably_async(std::string what, DurableWriter write,
                                   std::function<void(util::Status)> done) {
  durable_.submit_async(DurableWrite{std::move(what), std::move(write)}, std::move(done));
}

void Database::commit_batch(const std::vector<DurableBatch::Entry*>& batch) {
  const auto& first = batch.front()->item.what;
  const auto what =
      batch.size() > 1 ? first + " (with " + std::to_string(batch.size() - 1) + " more)" : first;
  const auto committed = locked(what, [&](Connection& connection) -> util::Status {
    // The store runs with synchronous = NORMAL, which in WAL mode survives a crash of the process
    // but may lose the last commits on a power cut. Where the file could not be put in WAL mode,
    // a write that must survive both (a delivery answered 202) is committed with FULL: the commit
    // itself reaches the disk. In WAL mode the syncing thread syncs the log instead.
    std::optional<detail::PragmaWhile> synced;
    if (!wal_) synced.emplace(connection, "PRAGMA synchronous = FULL", "PRAGMA synchronous = NORMAL");
    Transaction transaction(connection, Transaction::Kind::write);
    for (const auto* entry : batch) entry->item.write(connection);
    transaction.commit();
    return util::Ok{};
  });
  for (auto* entry : batch) entry->outcome = committed;
}

void Database::sync_committed(const std::vector<DurableBatch::Entry*>& committed) {
  const auto synced = wal_->sync();
  if (synced) return;
  spdlog::error("run store {}: {}", path_, synced.error().message);
  for (auto* entry : committed) {
    if (*entry->outcome) entry->outcome = detail::prefixed(prefix(entry->item.what), synced.error());
  }
}

}  // namespace turnout::agent
