#include "agent/store/run_queue.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "agent/store/delivery_retention.h"
#include "agent/store/store_rows.h"
#include "util/utc_time.h"

namespace turnout::agent {
namespace {

using namespace detail;

void insert_delivery(Connection& connection, const DeliveryRecord& delivery,
                     const std::optional<std::int64_t>& run_id, std::int64_t keep) {
  connection
      .statement(
          "INSERT INTO deliveries (forge, delivery_id, received_at, event, repo, ref, sha, result, reason, "
          "run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .execute({delivery.forge, delivery.delivery_id, util::utc_now(), delivery.event, delivery.repo,
                delivery.ref, delivery.sha, delivery.result, delivery.reason, nullable(run_id)});
  prune_deliveries(connection, connection.last_insert_rowid(), keep);
}

// The run the forge's delivery id last queued and its status; nullopt when it queued none. A run
// that was interrupted and queued again lives on in its requeue: that one counts.
std::optional<std::pair<std::int64_t, RunStatus>> last_run_of(Connection& connection,
                                                              const DeliveryRecord& delivery) {
  const auto found =
      connection
          .statement(
              "SELECT run_id FROM deliveries WHERE forge = ? AND delivery_id = ? AND run_id IS NOT NULL "
              "ORDER BY id DESC LIMIT 1")
          .first_integer({delivery.forge, delivery.delivery_id});
  if (!found) return std::nullopt;
  auto run = read_run(connection, *found);
  while (const auto again =
             connection
                 .statement("SELECT id FROM runs WHERE rerun_of = ? AND trigger = ? ORDER BY id DESC LIMIT 1")
                 .first_integer({run->id, to_string(Trigger::requeue)})) {
    run = read_run(connection, *again);
  }
  return std::make_pair(run->id, run->status);
}

// The branch's `concurrency` as its newest run that loaded a pipeline says; supersede (the
// default) when none has. The pipeline lives in the commit, which nobody has fetched when a
// push arrives, so the last one seen is the best guide.
pipeline::Concurrency branch_concurrency(Connection& connection, const std::string& repo,
                                         const std::string& branch) {
  const auto text =
      connection
          .statement(
              "SELECT concurrency FROM runs WHERE repo = ? AND branch = ? AND concurrency != '' "
              "ORDER BY id DESC LIMIT 1")
          .first_text({repo, branch});
  return pipeline::parse_concurrency(text.value_or("")).value_or(pipeline::Concurrency::supersede);
}

// Marks the older queued runs of the new run's branch superseded by it; returns their ids.
std::vector<std::int64_t> supersede_older(Connection& connection, const NewRun& run, std::int64_t newer) {
  const auto older = connection
                         .statement(
                             "SELECT id FROM runs WHERE status = 'queued' AND scheduled = 1 AND repo = ? "
                             "AND branch = ? AND id < ? ORDER BY id")
                         .integers({run.repo, run.branch, newer});
  const std::string reason = "superseded by run " + std::to_string(newer) + " (" + run.sha + ")";
  for (const auto id : older) write_finished(connection, id, RunStatus::superseded, reason, newer);
  return older;
}

// One delivery inside a durable write's transaction: the run it queued (and what that
// superseded), or the still-active run of a duplicate (which writes nothing). An earlier
// delivery of the same group commit counts: it was written in this transaction.
QueuedDelivery queue_one(Connection& connection, const DeliveryRecord& delivery, const NewRun& run,
                         std::int64_t keep) {
  const auto previous = last_run_of(connection, delivery);
  if (previous && !is_final(previous->second)) return QueuedDelivery{previous->first, true, {}};
  NewRun queued = run;
  queued.scheduled = true;
  if (previous) queued.trigger = Trigger::redelivery;
  const std::int64_t id = insert_run(connection, queued);
  insert_delivery(connection, delivery, id, keep);
  const auto concurrency = branch_concurrency(connection, queued.repo, queued.branch);
  std::vector<std::int64_t> superseded;
  if (concurrency != pipeline::Concurrency::queue) superseded = supersede_older(connection, queued, id);
  return QueuedDelivery{id, false, std::move(superseded),
                        concurrency == pipeline::Concurrency::cancel_in_progress};
}

// What a queued delivery changed, in the log once it is committed.
void log_queued(const QueuedDelivery& queued) {
  if (!queued.duplicate) spdlog::debug("run {}: queued", queued.run_id);
  for (const auto old : queued.superseded) log_transition(old, RunStatus::queued, RunStatus::superseded);
}

}  // namespace

util::Result<QueuedDelivery> RunQueue::queue_delivery(const DeliveryRecord& delivery, const NewRun& run) {
  QueuedDelivery queued;
  const auto written = database_.write_durably(
      "queue delivery " + delivery.delivery_id,
      [&](Connection& connection) { queued = queue_one(connection, delivery, run, keep_deliveries_); });
  if (!written) return written.error();
  log_queued(queued);
  return queued;
}

void RunQueue::queue_delivery_async(DeliveryRecord delivery, NewRun run,
                                    std::function<void(util::Result<QueuedDelivery>)> done) {
  struct Pending {
    DeliveryRecord delivery;
    NewRun run;
    QueuedDelivery queued{};
  };
  auto pending = std::make_shared<Pending>(Pending{std::move(delivery), std::move(run)});
  std::string what = "queue delivery " + pending->delivery.delivery_id;
  database_.write_durably_async(
      std::move(what),
      [pending, keep = keep_deliveries_](Connection& connection) {
        pending->queued = queue_one(connection, pending->delivery, pending->run, keep);
      },
      [pending, done = std::move(done)](util::Status written) {
        if (!written) return done(written.error());
        log_queued(pending->queued);
        done(std::move(pending->queued));
      });
}

util::Status RunQueue::record_delivery(const DeliveryRecord& delivery) {
  return database_.locked("record delivery " + delivery.delivery_id,
                          [&](Connection& connection) -> util::Status {
                            insert_delivery(connection, delivery, std::nullopt, keep_deliveries_);
                            return util::Ok{};
                          });
}

void RunQueue::record_delivery_async(DeliveryRecord delivery, std::function<void(util::Status)> done) {
  std::string what = "record delivery " + delivery.delivery_id;
  database_.write_durably_async(
      std::move(what),
      [delivery = std::move(delivery), keep = keep_deliveries_](Connection& connection) {
        insert_delivery(connection, delivery, std::nullopt, keep);
      },
      std::move(done));
}

util::Result<std::int64_t> RunQueue::enqueue_run(const NewRun& run) {
  NewRun queued = run;
  queued.scheduled = true;
  std::int64_t id = 0;
  const auto written = database_.write_durably(
      "queue run", [&](Connection& connection) { id = insert_run(connection, queued); });
  if (!written) return written.error();
  spdlog::debug("run {}: queued ({})", id, to_string(queued.trigger));
  return id;
}

util::Result<std::optional<RunRecord>> RunQueue::claim_next() {
  auto claimed = database_.locked(
      "claim the next queued run", [&](Connection& connection) -> util::Result<std::optional<RunRecord>> {
        Transaction transaction(connection, Transaction::Kind::write);
        const auto next =
            connection
                .statement(
                    "SELECT id FROM runs q WHERE status = 'queued' AND scheduled = 1 AND NOT EXISTS "
                    "(SELECT 1 FROM runs r WHERE r.status = 'running' AND r.repo = q.repo AND r.branch = "
                    "q.branch) "
                    "ORDER BY id LIMIT 1")
                .first_integer();
        if (!next) return std::optional<RunRecord>();
        auto run = read_run(connection, *next);
        write_started(connection, run->id, run->pipeline);
        transaction.commit();
        log_transition(run->id, RunStatus::queued, RunStatus::running);
        run->status = RunStatus::running;
        return run;
      });
  if (after_claim_) after_claim_();
  return claimed;
}

util::Result<bool> RunQueue::cancel_queued(std::int64_t id, const std::string& reason) {
  return database_.locked("cancel run " + std::to_string(id),
                          [&](Connection& connection) -> util::Result<bool> {
                            Transaction transaction(connection, Transaction::Kind::write);
                            const auto run = read_run(connection, id);
                            if (!run || run->status != RunStatus::queued) return false;
                            write_finished(connection, id, RunStatus::cancelled, reason);
                            transaction.commit();
                            log_transition(id, RunStatus::queued, RunStatus::cancelled);
                            return true;
                          });
}

util::Result<std::vector<Preemption>> RunQueue::preemptions() {
  return database_.locked(
      "find runs to cancel in progress",
      [&](Connection& connection) -> util::Result<std::vector<Preemption>> {
        std::vector<Preemption> found;
        for (const auto& row :
             connection
                 .statement("SELECT r.id, MAX(q.id) FROM runs r JOIN runs q ON q.repo = r.repo AND q.branch "
                            "= r.branch "
                            "AND q.status = 'queued' AND q.scheduled = 1 AND q.id > r.id "
                            "WHERE r.status = 'running' AND r.concurrency = ? GROUP BY r.id ORDER BY r.id")
                 .rows({to_string(pipeline::Concurrency::cancel_in_progress)}))
          found.push_back({row.integer(0), row.integer(1)});
        return found;
      });
}

}  // namespace turnout::agent
