#pragma once
// Private to the run store: the state behind RunStore, shared by the files that implement it
// (run_store.cpp: runs and their history; run_queue.cpp: the agent's queue).

#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

#include <exception>
#include <functional>
#include <mutex>
#include <string>

#include "agent/store/group_commit.h"
#include "agent/store/prepared_statement.h"
#include "agent/store/run_store.h"
#include "agent/store/store_rows.h"
#include "util/result.h"

namespace turnout::agent {

namespace detail {

/// A Poco exception's message for a person: SQLite's text said once, with the exception's name.
std::string describe(const Poco::Exception& error);

}  // namespace detail

namespace detail {

/// A delivery waiting in queue_delivery for the group commit that writes it.
struct PendingDelivery {
  const DeliveryRecord& delivery;  ///< the caller's
  const NewRun& run;               ///< the caller's
};

/// Accepted deliveries, committed in groups (see group_commit.h).
using DeliveryBatch = GroupCommit<PendingDelivery, util::Result<QueuedDelivery>>;

/// The statements every accepted push runs (queue_delivery, then preemptions), compiled once
/// for the store's connection (run_queue.cpp holds their SQL).
struct IntakeStatements {
  /// Compiles nothing yet (see PreparedStatement).
  explicit IntakeStatements(Poco::Data::Session& session);
  PreparedStatement last_delivery_run;   ///< the run a delivery id queued last
  PreparedStatement insert_run;          ///< kInsertRun
  PreparedStatement insert_delivery;     ///< a row of deliveries
  PreparedStatement branch_concurrency;  ///< the newest `concurrency` of a branch's runs
  PreparedStatement older_queued;        ///< a branch's queued runs older than a run
  PreparedStatement write_finished;      ///< kWriteFinished
  /// running cancel-in-progress runs and their newest queued successor (the scheduler asks
  /// after every accepted push)
  PreparedStatement preemptions;
};

}  // namespace detail

/// One connection, guarded by a mutex: SQLite connections must not be shared between threads
/// without one, and last_insert_rowid() must belong to our own insert.
struct RunStore::Impl {
  /// Takes the opened session of `db_path`.
  Impl(std::string db_path, Poco::Data::Session db) : path(std::move(db_path)), session(std::move(db)) {}

  /// Runs `body` under the lock; every failure, thrown or returned, becomes
  /// "run store <path>: <what>: <why>".
  template <typename Body>
  auto locked(const std::string& what, Body&& body) -> decltype(body()) {
    std::lock_guard lock(mutex);
    try {
      auto result = body();
      if (!result) return detail::prefixed("run store " + path + ": " + what + ": ", result.error());
      return result;
    } catch (const Poco::Exception& error) {
      return util::fail("run store " + path + ": " + what + ": " + detail::describe(error));
    } catch (const std::exception& error) {
      return util::fail("run store " + path + ": " + what + ": " + error.what());
    }
  }

  /// Commits the deliveries that queued up meanwhile in one transaction, synced to disk once
  /// (group commit); on any failure none of them is written and each caller gets the error.
  void queue_batch(const std::vector<detail::DeliveryBatch::Entry*>& batch);

  std::string path;             ///< the database file
  std::mutex mutex;             ///< guards session and intake
  Poco::Data::Session session;  ///< the one connection
  /// queue_delivery's statements; declared after the session, so finalized before it closes.
  detail::IntakeStatements intake{session};
  /// RunStore::after_claim_for_test's hook.
  std::function<void()> after_claim;
  /// queue_delivery's group commit (committing through this object's session).
  detail::DeliveryBatch deliveries{[this](const auto& batch) { queue_batch(batch); }};
};

}  // namespace turnout::agent
