#pragma once
// The agent's queue: accepted pushes with their deliveries, supersession, claiming the next run,
// cancelling a queued one, and the running runs a newer push should replace.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/store/database.h"
#include "agent/store/delivery_retention.h"
#include "agent/store/run_record.h"
#include "util/result.h"

namespace turnout::agent {

/// One webhook delivery as the store keeps it (table `deliveries`).
struct DeliveryRecord {
  std::string delivery_id;  ///< X-GitHub-Delivery (X-Gitea-Delivery, ...); reused when a person redelivers
  std::string event;        ///< X-GitHub-Event: push, ping, pull_request, ...
  std::string repo;         ///< repository.full_name, "" when the payload has none
  std::string ref;          ///< pushed ref, "" for other events
  std::string sha;          ///< pushed commit (`after`), "" for other events
  std::string result;       ///< queued, ignored, pong
  std::string reason;       ///< why, as answered
  std::string forge = "github";  ///< the forge that sent it: each makes its own delivery ids
};

/// What queue_delivery did.
struct QueuedDelivery {
  std::int64_t run_id = 0;  ///< the new run, or the still-active run of a duplicate
  bool duplicate = false;   ///< true: the delivery's run is still queued or running, nothing was written
  std::vector<std::int64_t> superseded{};  ///< older queued runs of the branch this one replaced
  /// The branch's pipeline says `concurrency: cancel-in-progress` (as its newest run that loaded
  /// one recorded): the new run may replace a running one, so preemptions() is worth asking.
  bool cancel_in_progress = false;
};

/// A running run whose pipeline says `concurrency: cancel-in-progress`, and the newer queued run
/// of its branch that should replace it.
struct Preemption {
  std::int64_t running = 0;  ///< the run to cancel
  std::int64_t newer = 0;    ///< the newest queued run of the same repository and branch
};

/// The runs the agent's workers take (scheduled), and the deliveries that queued them.
class RunQueue {
 public:
  /// On `database`, which must outlive this; keeps the newest `keep_deliveries` deliveries of
  /// every kind (see prune_deliveries).
  explicit RunQueue(Database& database, std::int64_t keep_deliveries = detail::kKeepDeliveries)
      : database_(database), keep_deliveries_(keep_deliveries) {}

  /// Records an accepted push and its queued run in one transaction, durable on return. A
  /// delivery id (of the same forge) whose last run is still queued or running is a duplicate (nothing
  /// written); one whose run has ended queues a new run with trigger `redelivery`. The run is for the agent's
  /// queue (scheduled), and unless the branch's pipeline says `concurrency: queue` it supersedes the branch's
  /// older queued runs (status superseded, superseded_by = the new run).
  util::Result<QueuedDelivery> queue_delivery(const DeliveryRecord& delivery, const NewRun& run);
  /// queue_delivery without waiting: `done` gets its result on the store's committing thread,
  /// once it is on disk (Database::write_durably_async).
  void queue_delivery_async(DeliveryRecord delivery, NewRun run,
                            std::function<void(util::Result<QueuedDelivery>)> done);
  /// Records a delivery that queued nothing (ignored, pong).
  util::Status record_delivery(const DeliveryRecord& delivery);
  /// record_delivery without waiting: `done` gets the outcome on the store's committing thread.
  /// Committed with the batch in progress, so durable too.
  void record_delivery_async(DeliveryRecord delivery, std::function<void(util::Status)> done);
  /// Adds a run to the agent's queue (scheduled) without superseding anything: a person asked
  /// for it (a rerun through the API). Durable on return.
  util::Result<std::int64_t> enqueue_run(const NewRun& run);
  /// Takes the oldest queued run of the agent's queue whose repository and branch have no run
  /// going, and marks it running, owned by this process; nullopt when there is none.
  util::Result<std::optional<RunRecord>> claim_next();
  /// Ends a run that is still queued (cancelled, with `reason`); false when it was not queued.
  util::Result<bool> cancel_queued(std::int64_t id, const std::string& reason);
  /// Running `cancel-in-progress` runs that a newer queued run of their branch should replace.
  util::Result<std::vector<Preemption>> preemptions();

  /// A seam for the scheduler's tests: `hook` runs on the claiming thread each time claim_next()
  /// has looked at the queue, once the store is free again (so it may use the store); that is
  /// where a push can land unseen by the claim. Set it before anything claims; empty: none.
  void after_claim_for_test(std::function<void()> hook) { after_claim_ = std::move(hook); }

 private:
  Database& database_;
  std::int64_t keep_deliveries_;
  std::function<void()> after_claim_;
};

}  // namespace turnout::agent
