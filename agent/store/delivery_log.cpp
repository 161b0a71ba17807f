#include "agent/store/delivery_log.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <limits>

#include "agent/store/connection.h"
#include "util/utc_time.h"

namespace turnout::agent {

namespace {

using detail::Connection;

// How long a refusal may wait: the writer gathers what came meanwhile into one transaction.
constexpr auto kBatchEvery = std::chrono::milliseconds(500);

DeliveryRow row_of(const detail::SqlRow& row) {
  DeliveryRow delivery;
  delivery.id = row.integer(0);
  delivery.received_at = row.text(1);
  delivery.forge = row.text(2);
  delivery.delivery_id = row.text(3);
  delivery.event = row.text(4);
  delivery.repo = row.text(5);
  delivery.ref = row.text(6);
  delivery.sha = row.text(7);
  delivery.result = row.text(8);
  delivery.reason = row.text(9);
  delivery.status = static_cast<int>(row.integer(10));
  delivery.run = row.nullable_integer(11);
  return delivery;
}

void insert_refused(Connection& connection, const DeliveryRecord& delivery, int status,
                    const std::string& received_at) {
  connection
      .statement(
          "INSERT INTO deliveries (forge, delivery_id, received_at, event, repo, ref, sha, result, reason, "
          "status) VALUES (?, ?, ?, ?, ?, ?, ?, 'rejected', ?, ?)")
      .execute({delivery.forge, delivery.delivery_id, received_at, delivery.event, delivery.repo,
                delivery.ref, delivery.sha, delivery.reason, std::int64_t{status}});
}

}  // namespace

DeliveryLog::DeliveryLog(Database& database, std::int64_t keep_refused, std::int64_t keep_all)
    : database_(database), keep_refused_(keep_refused), keep_all_(keep_all) {}

DeliveryLog::~DeliveryLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (auto written = flush(); !written) spdlog::warn("{}", written.error().message);
}

void DeliveryLog::refused(DeliveryRecord delivery, int status) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    if (waiting_.size() >= kMaxWaiting) {
      ++dropped_;
      return;
    }
    waiting_.push_back({std::move(delivery), status, util::utc_now()});
    if (!writer_.joinable()) writer_ = std::thread([this] { write_batches(); });
  }
  wake_.notify_one();
}

void DeliveryLog::write_batches() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait(lock, [this] { return stopping_ || !waiting_.empty() || dropped_ > 0; });
    if (stopping_) break;
    // Let a flood gather: one transaction for everything of the next half second.
    wake_.wait_for(lock, kBatchEvery, [this] { return stopping_; });
    lock.unlock();
    if (auto written = flush(); !written) spdlog::warn("{}", written.error().message);
    lock.lock();
  }
}

util::Status DeliveryLog::flush() {
  std::lock_guard one_batch(write_mutex_);
  std::vector<Waiting> batch;
  std::size_t dropped = 0;
  {
    std::lock_guard lock(mutex_);
    batch.swap(waiting_);
    std::swap(dropped, dropped_);
  }
  if (batch.empty() && dropped == 0) return util::Ok{};
  return write(std::move(batch), dropped);
}

util::Status DeliveryLog::write(std::vector<Waiting> batch, std::size_t dropped) {
  return database_.locked("record refused deliveries", [&](Connection& connection) -> util::Status {
    detail::Transaction transaction(connection, detail::Transaction::Kind::write);
    for (const auto& waiting : batch)
      insert_refused(connection, waiting.delivery, waiting.status, waiting.received_at);
    if (dropped > 0) {
      DeliveryRecord summary;
      summary.forge = "";
      summary.reason = std::to_string(dropped) +
                       " more refused deliveries arrived faster than they could be "
                       "recorded, and were not";
      insert_refused(connection, summary, 0, util::utc_now());
    }
    // Only the newest refusals stay; accepted deliveries stay with their runs.
    connection
        .statement(
            "DELETE FROM deliveries WHERE result = 'rejected' AND id <= (SELECT id FROM deliveries "
            "WHERE result = 'rejected' ORDER BY id DESC LIMIT 1 OFFSET ?)")
        .execute({keep_refused_});
    detail::prune_deliveries(connection, connection.last_insert_rowid(), keep_all_);
    transaction.commit();
    return util::Ok{};
  });
}

util::Result<DeliveryPage> DeliveryLog::page(std::optional<std::int64_t> before, int limit) {
  return database_.locked("list deliveries", [&](Connection& connection) -> util::Result<DeliveryPage> {
    DeliveryPage page;
    for (const auto& row :
         connection
             .statement("SELECT id, received_at, forge, delivery_id, event, repo, ref, sha, result, reason, "
                        "status, run_id FROM deliveries WHERE id < ? ORDER BY id DESC LIMIT ?")
             .rows({before.value_or(std::numeric_limits<std::int64_t>::max()), std::int64_t{limit} + 1})) {
      page.deliveries.push_back(row_of(row));
    }
    page.more = page.deliveries.size() > static_cast<std::size_t>(limit);
    if (page.more) page.deliveries.pop_back();
    return page;
  });
}

}  // namespace turnout::agent
