#pragma once
// Every webhook delivery as the dashboard lists it (`/deliveries`), and the refused ones
// (401, 400, 413) recorded off the request's path: a refusal goes into a bounded buffer that a
// thread of its own writes in batches, one transaction each and no fsync, so a flood of junk
// neither waits for the disk nor takes the store's lock once per request, and the 202s of real
// pushes go on. A refused delivery keeps no body; only the newest `keep` refusals stay.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/store/database.h"
#include "agent/store/delivery_retention.h"
#include "agent/store/run_queue.h"
#include "util/result.h"

namespace turnout::agent {

/// One delivery as the store keeps it.
struct DeliveryRow {
  std::int64_t id = 0;              ///< the store's, increasing
  std::string received_at;          ///< ISO-8601 UTC
  std::string forge;                ///< github, gitea, forgejo, gitlab
  std::string delivery_id;          ///< the forge's delivery id; "" when the request had none
  std::string event;                ///< push, ping, ...; "" when unknown
  std::string repo;                 ///< owner/repo; "" when unknown (a refused delivery is not read)
  std::string ref;                  ///< pushed ref
  std::string sha;                  ///< pushed commit
  std::string result;               ///< queued, duplicate, ignored, pong, rejected
  std::string reason;               ///< as answered
  int status = 0;                   ///< the HTTP status answered; 0 when recorded before it was kept
  std::optional<std::int64_t> run;  ///< the run it queued
};

/// A page of deliveries and whether older ones remain.
struct DeliveryPage {
  std::vector<DeliveryRow> deliveries;  ///< newest first
  bool more = false;                    ///< older ones exist
};

/// The deliveries table: refusals written in the background, pages read.
class DeliveryLog {
 public:
  /// The refusals kept when none is said: a count (not an age), so that no flood, however
  /// fast, holds more than this many rows of junk.
  static constexpr std::int64_t kKeepRefused = 10000;
  /// Refusals waiting to be written at most; more while the writer is behind are counted and
  /// recorded as one row saying how many were dropped.
  static constexpr std::size_t kMaxWaiting = 1000;

  /// On `database`, which must outlive this; keeps the newest `keep_refused` refusals, and of
  /// every kind the newest `keep_all` deliveries (see prune_deliveries).
  explicit DeliveryLog(Database& database, std::int64_t keep_refused = kKeepRefused,
                       std::int64_t keep_all = detail::kKeepDeliveries);
  /// Writes what waits, then stops the writer.
  ~DeliveryLog();
  DeliveryLog(const DeliveryLog&) = delete;
  DeliveryLog& operator=(const DeliveryLog&) = delete;

  /// Records a refused delivery (result `rejected`, answered `status`) without waiting: the
  /// writer thread (started on the first call) writes it within half a second.
  void refused(DeliveryRecord delivery, int status);
  /// Writes every refusal waiting now, on the caller's thread; for tests and shutdown.
  util::Status flush();
  /// The newest `limit` deliveries with an id below `before` (none: from the newest).
  util::Result<DeliveryPage> page(std::optional<std::int64_t> before, int limit);

 private:
  struct Waiting {
    DeliveryRecord delivery;
    int status;
    std::string received_at;
  };
  void write_batches();
  util::Status write(std::vector<Waiting> batch, std::size_t dropped);

  Database& database_;
  std::int64_t keep_refused_;
  std::int64_t keep_all_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Waiting> waiting_;
  std::size_t dropped_ = 0;
  bool stopping_ = false;
  std::thread writer_;      // started by the first refusal
  std::mutex write_mutex_;  // one batch at a time (the writer, or flush)
};

}  // namespace turnout::agent
