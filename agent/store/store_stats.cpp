#include "agent/store/store_stats.h"

#include "agent/store/run_record.h"

namespace turnout::agent {
namespace {

using detail::Connection;

std::vector<std::pair<std::string, std::int64_t>> counts(Connection& connection, const char* sql) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (const auto& row : connection.statement(sql).rows()) out.emplace_back(row.text(0), row.integer(1));
  return out;
}

}  // namespace

util::Result<StoreStats> StoreCounter::stats() {
  return database_.locked(
      "count runs and deliveries", [&](Connection& connection) -> util::Result<StoreStats> {
        detail::Transaction transaction(connection, detail::Transaction::Kind::read);
        StoreStats stats;
        stats.deliveries_by_result =
            counts(connection, "SELECT result, COUNT(*) FROM deliveries GROUP BY result ORDER BY result");
        const auto by_status = counts(connection, "SELECT status, COUNT(*) FROM runs GROUP BY status");
        // Every status, so a series does not vanish when its count drops to 0.
        for (const auto status :
             {RunStatus::queued, RunStatus::running, RunStatus::succeeded, RunStatus::failed,
              RunStatus::cancelled, RunStatus::superseded, RunStatus::error}) {
          std::int64_t count = 0;
          for (const auto& [name, n] : by_status)
            if (name == to_string(status)) count = n;
          stats.runs_by_status.emplace_back(to_string(status), count);
        }
        stats.queue_depth =
            connection.statement("SELECT COUNT(*) FROM runs WHERE status = 'queued' AND scheduled = 1")
                .first_integer()
                .value_or(0);
        stats.reports_pending = connection.statement("SELECT COUNT(*) FROM reports WHERE state = 'pending'")
                                    .first_integer()
                                    .value_or(0);
        transaction.commit();
        return stats;
      });
}

}  // namespace turnout::agent
