// The agent's queue in the run store: accepted pushes, supersession, claiming the next run,
// cancelling, and the counts /metrics shows. Part of RunStore (see run_store.h).
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <spdlog/spdlog.h>

#include "agent/store/run_store.h"
#include "agent/store/run_store_impl.h"
#include "agent/store/sqlite.h"
#include "util/utc_time.h"

using namespace Poco::Data::Keywords;

namespace turnout::agent {
namespace {

using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;
using Transaction = detail::Transaction;
using namespace detail;

constexpr const char* kQueueMode = "queue";
constexpr const char* kCancelInProgress = "cancel-in-progress";

constexpr const char* kInsertDelivery =
    "INSERT INTO deliveries (delivery_id, received_at, event, repo, ref, sha, result, reason, run_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

void insert_delivery(PreparedStatement& insert, const DeliveryRecord& delivery,
                     const std::optional<Poco::Int64>& run_id) {
  insert.execute({delivery.delivery_id, util::utc_now(), delivery.event, delivery.repo, delivery.ref,
                  delivery.sha, delivery.result, delivery.reason, nullable(run_id)});
}

// The run the delivery id last queued and its status; nullopt when it queued none. A run that
// was interrupted and queued again lives on in its requeue: that one counts.
std::optional<std::pair<Poco::Int64, RunStatus>> last_run_of(Session& session, IntakeStatements& sql,
                                                             const std::string& delivery_id) {
  const auto found = sql.last_delivery_run.integers({delivery_id});
  if (found.empty()) return std::nullopt;
  auto run = read_run(session, found.front());
  for (;;) {
    std::vector<Poco::Int64> again;
    session << "SELECT id FROM runs WHERE rerun_of = ? AND trigger = 'requeue' ORDER BY id DESC LIMIT 1",
        into(again), bind(run->id), now;
    if (again.empty()) break;
    run = read_run(session, again.front());
  }
  return std::make_pair(run->id, run->status);
}

// The store runs with synchronous = NORMAL, which in WAL mode survives a crash of the process
// but may lose the last commits on a power cut. A delivery answered 202 must survive both, so
// while this lives, commits are synced to disk (FULL).
// (Compiled anew each time, unlike the intake's other statements: SQLite applies `synchronous`
// while compiling the PRAGMA, so a compiled one run again does not reliably set it.)
class SyncedCommits {
 public:
  explicit SyncedCommits(Session& session) : session_(session) {
    session_ << "PRAGMA synchronous = FULL", now;
  }
  ~SyncedCommits() {
    try {
      session_ << "PRAGMA synchronous = NORMAL", now;
    } catch (const Poco::Exception& error) {
      spdlog::warn("run store: cannot restore synchronous = NORMAL: {}", error.displayText());
    }
  }
  SyncedCommits(const SyncedCommits&) = delete;
  SyncedCommits& operator=(const SyncedCommits&) = delete;

 private:
  Session& session_;
};

// The branch's `concurrency` as its newest run that loaded a pipeline says; "" (supersede,
// the default) when none has. The pipeline lives in the commit, which nobody has fetched when
// a push arrives, so the last one seen is the best guide.
std::string branch_concurrency(IntakeStatements& sql, const std::string& repo, const std::string& branch) {
  return sql.branch_concurrency.first_text({repo, branch}).value_or("");
}

// Marks the older queued runs of the new run's branch superseded by it; returns their ids.
std::vector<std::int64_t> supersede_older(IntakeStatements& sql, const NewRun& run, Poco::Int64 newer) {
  const auto older = sql.older_queued.integers({run.repo, run.branch, newer});
  const std::string reason = "superseded by run " + std::to_string(newer) + " (" + run.sha + ")";
  for (const auto id : older) write_finished(sql.write_finished, id, RunStatus::superseded, reason, newer);
  return older;
}

// One delivery of a batch, inside the batch's write transaction: the run it queued (and what
// that superseded), or the still-active run of a duplicate (which writes nothing). An earlier
// delivery of the same batch counts: it was written in this transaction.
QueuedDelivery queue_one(Session& session, IntakeStatements& sql, const DeliveryRecord& delivery,
                         const NewRun& run) {
  const auto previous = last_run_of(session, sql, delivery.delivery_id);
  if (previous && !is_final(previous->second)) return QueuedDelivery{previous->first, true, {}};
  NewRun queued = run;
  queued.scheduled = true;
  if (previous) queued.trigger = "redelivery";
  const Poco::Int64 id = insert_run(sql.insert_run, queued);
  insert_delivery(sql.insert_delivery, delivery, id);
  const auto concurrency = branch_concurrency(sql, queued.repo, queued.branch);
  std::vector<std::int64_t> superseded;
  if (concurrency != kQueueMode) superseded = supersede_older(sql, queued, id);
  return QueuedDelivery{id, false, std::move(superseded), concurrency == kCancelInProgress};
}

std::vector<std::pair<std::string, std::int64_t>> counts(Session& session, const std::string& sql) {
  Statement select(session);
  select << sql, now;
  RecordSet rows(select);
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (std::size_t row = 0; row < rows.rowCount(); ++row)
    out.emplace_back(text(rows, 0, row), integer(rows, 1, row));
  return out;
}

}  // namespace

namespace detail {

IntakeStatements::IntakeStatements(Session& session)
    : last_delivery_run(session,
                        "SELECT run_id FROM deliveries WHERE delivery_id = ? AND run_id IS NOT NULL "
                        "ORDER BY id DESC LIMIT 1"),
      insert_run(session, kInsertRun),
      insert_delivery(session, kInsertDelivery),
      branch_concurrency(session,
                         "SELECT concurrency FROM runs WHERE repo = ? AND branch = ? AND concurrency != '' "
                         "ORDER BY id DESC LIMIT 1"),
      older_queued(
          session,
          "SELECT id FROM runs WHERE status = 'queued' AND scheduled = 1 AND repo = ? AND branch = ? "
          "AND id < ? ORDER BY id"),
      write_finished(session, kWriteFinished),
      preemptions(session,
                  "SELECT r.id, MAX(q.id) FROM runs r JOIN runs q ON q.repo = r.repo AND q.branch = r.branch "
                  "AND q.status = 'queued' AND q.scheduled = 1 AND q.id > r.id "
                  "WHERE r.status = 'running' AND r.concurrency = ? GROUP BY r.id ORDER BY r.id") {}

}  // namespace detail

util::Result<QueuedDelivery> RunStore::queue_delivery(const DeliveryRecord& delivery, const NewRun& run) {
  return impl_->deliveries.submit(PendingDelivery{delivery, run});
}

void RunStore::Impl::queue_batch(const std::vector<DeliveryBatch::Entry*>& batch) {
  std::vector<QueuedDelivery> queued;
  const auto what = "queue delivery " + batch.front()->item.delivery.delivery_id +
                    (batch.size() > 1 ? " (with " + std::to_string(batch.size() - 1) + " more)" : "");
  const auto committed = locked(what, [&]() -> util::Status {
    const SyncedCommits synced(session);
    Transaction transaction(session, Transaction::Kind::write);
    for (const auto* entry : batch)
      queued.push_back(queue_one(session, intake, entry->item.delivery, entry->item.run));
    transaction.commit();
    return util::Ok{};
  });
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!committed) {
      batch[i]->outcome = committed.error();
      continue;
    }
    if (!queued[i].duplicate) spdlog::debug("run {}: queued", queued[i].run_id);
    for (const auto old : queued[i].superseded) log_transition(old, RunStatus::queued, RunStatus::superseded);
    batch[i]->outcome = queued[i];
  }
}

util::Status RunStore::record_delivery(const DeliveryRecord& delivery) {
  return impl_->locked("record delivery " + delivery.delivery_id, [&]() -> util::Status {
    insert_delivery(impl_->intake.insert_delivery, delivery, std::nullopt);
    return util::Ok{};
  });
}

util::Result<std::int64_t> RunStore::enqueue_run(const NewRun& run) {
  return impl_->locked("queue run", [&]() -> util::Result<std::int64_t> {
    NewRun queued = run;
    queued.scheduled = true;
    const SyncedCommits synced(impl_->session);
    const auto id = insert_run(impl_->session, queued);
    spdlog::debug("run {}: queued ({})", id, queued.trigger);
    return id;
  });
}

util::Result<std::optional<RunRecord>> RunStore::claim_next() {
  auto claimed = impl_->locked("claim the next queued run", [&]() -> util::Result<std::optional<RunRecord>> {
    auto& session = impl_->session;
    Transaction transaction(session, Transaction::Kind::write);
    std::vector<Poco::Int64> next;
    session
        << "SELECT id FROM runs q WHERE status = 'queued' AND scheduled = 1 AND NOT EXISTS "
           "(SELECT 1 FROM runs r WHERE r.status = 'running' AND r.repo = q.repo AND r.branch = q.branch) "
           "ORDER BY id LIMIT 1",
        into(next), now;
    if (next.empty()) return std::optional<RunRecord>();
    auto run = read_run(session, next.front());
    write_started(session, run->id, run->pipeline);
    transaction.commit();
    log_transition(run->id, RunStatus::queued, RunStatus::running);
    run->status = RunStatus::running;
    return run;
  });
  if (impl_->after_claim) impl_->after_claim();
  return claimed;
}

void RunStore::after_claim_for_test(std::function<void()> hook) { impl_->after_claim = std::move(hook); }

util::Status RunStore::set_pipeline(std::int64_t id, const std::string& name,
                                    const std::string& concurrency) {
  return impl_->locked("record the pipeline of run " + std::to_string(id), [&]() -> util::Status {
    impl_->session << "UPDATE runs SET pipeline = ?, concurrency = ? WHERE id = ?", bind(name),
        bind(concurrency), bind(static_cast<Poco::Int64>(id)), now;
    return util::Ok{};
  });
}

util::Result<bool> RunStore::cancel_queued(std::int64_t id, const std::string& reason) {
  return impl_->locked("cancel run " + std::to_string(id), [&]() -> util::Result<bool> {
    auto& session = impl_->session;
    Transaction transaction(session, Transaction::Kind::write);
    const auto run = read_run(session, id);
    if (!run || run->status != RunStatus::queued) return false;
    write_finished(session, id, RunStatus::cancelled, reason);
    transaction.commit();
    log_transition(id, RunStatus::queued, RunStatus::cancelled);
    return true;
  });
}

util::Result<std::vector<Preemption>> RunStore::preemptions() {
  return impl_->locked("find runs to cancel in progress", [&]() -> util::Result<std::vector<Preemption>> {
    std::vector<Preemption> found;
    for (const auto& row : impl_->intake.preemptions.integer_rows({kCancelInProgress}, 2))
      found.push_back({row[0], row[1]});
    return found;
  });
}

util::Result<StoreStats> RunStore::stats() {
  return impl_->locked("count runs and deliveries", [&]() -> util::Result<StoreStats> {
    auto& session = impl_->session;
    Transaction transaction(session, Transaction::Kind::read);
    StoreStats stats;
    stats.deliveries_by_result =
        counts(session, "SELECT result, COUNT(*) FROM deliveries GROUP BY result ORDER BY result");
    const auto by_status = counts(session, "SELECT status, COUNT(*) FROM runs GROUP BY status");
    // Every status, so a series does not vanish when its count drops to 0.
    for (const auto status : {RunStatus::queued, RunStatus::running, RunStatus::succeeded, RunStatus::failed,
                              RunStatus::cancelled, RunStatus::superseded, RunStatus::error}) {
      std::int64_t count = 0;
      for (const auto& [name, n] : by_status)
        if (name == to_string(status)) count = n;
      stats.runs_by_status.emplace_back(to_string(status), count);
    }
    session << "SELECT COUNT(*) FROM runs WHERE status = 'queued' AND scheduled = 1", into(stats.queue_depth),
        now;
    session << "SELECT COUNT(*) FROM reports WHERE state = 'pending'", into(stats.reports_pending), now;
    transaction.commit();
    return stats;
  });
}

}  // namespace turnout::agent
