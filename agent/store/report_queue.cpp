#include "agent/store/report_queue.h"

#include <spdlog/spdlog.h>

#include "util/utc_time.h"

namespace turnout::agent {
namespace {

using detail::Connection;
using detail::nullable;
using detail::SqlRow;
using detail::Transaction;

constexpr const char* kSelectReports =
    "SELECT r.id, r.repo, r.order_key, r.kind, r.url, r.body, r.depends_on, r.run_id, r.attempts, "
    "r.next_attempt_at, r.state, r.last_error, r.result_id, d.state, d.result_id "
    "FROM reports r LEFT JOIN reports d ON d.id = r.depends_on ";

ReportState state_of(const std::string& text) {
  if (text == "sent") return ReportState::sent;
  if (text == "dropped") return ReportState::dropped;
  return ReportState::pending;
}

ReportRecord report_from_row(const SqlRow& row) {
  ReportRecord record;
  record.id = row.integer(0);
  record.report.repo = row.text(1);
  record.report.order_key = row.text(2);
  record.report.kind = parse_report_kind(row.text(3)).value_or(ReportKind::status);
  record.report.url = row.text(4);
  record.report.body = row.text(5);
  record.report.depends_on = row.nullable_integer(6);
  record.report.run_id = row.nullable_integer(7);
  record.attempts = static_cast<int>(row.integer(8));
  record.next_attempt_at = row.integer(9);
  record.state = state_of(row.text(10));
  record.last_error = row.text(11);
  record.result_id = row.nullable_integer(12);
  if (record.report.depends_on && !row.is_null(13)) record.dependency = state_of(row.text(13));
  record.dependency_id = row.nullable_integer(14);
  return record;
}

std::vector<ReportRecord> reports_from(const std::vector<SqlRow>& rows) {
  std::vector<ReportRecord> found;
  found.reserve(rows.size());
  for (const auto& row : rows) found.push_back(report_from_row(row));
  return found;
}

// A full queue gives up its oldest commit status first: a newer status of the same context
// says more than it; deployments and notifications are dropped only when nothing else is left.
void make_room(Connection& connection, std::int64_t bound) {
  const auto pending = connection.statement("SELECT COUNT(*) FROM reports WHERE state = 'pending'")
                           .first_integer()
                           .value_or(0);
  if (pending < bound) return;
  const auto oldest =
      connection
          .statement("SELECT id FROM reports WHERE state = 'pending' ORDER BY kind != 'status', id LIMIT 1")
          .first_integer();
  if (!oldest) return;
  connection
      .statement(
          "UPDATE reports SET state = 'dropped', last_error = 'the report queue was full' WHERE id = ?")
      .execute({*oldest});
  spdlog::warn("report {}: dropped: the report queue holds {} pending reports (is GitHub reachable?)",
               *oldest, pending);
}

}  // namespace

util::Result<std::int64_t> ReportQueue::enqueue_report(const NewReport& report, std::int64_t bound) {
  return database_.locked("queue a report", [&](Connection& connection) -> util::Result<std::int64_t> {
    Transaction transaction(connection, Transaction::Kind::write);
    make_room(connection, bound);
    connection
        .statement(
            "INSERT INTO reports (run_id, repo, order_key, kind, url, body, depends_on, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .execute({nullable(report.run_id), report.repo, report.order_key, to_string(report.kind), report.url,
                  report.body, nullable(report.depends_on), util::utc_now()});
    const auto id = connection.last_insert_rowid();
    transaction.commit();
    return id;
  });
}

util::Result<std::vector<ReportRecord>> ReportQueue::due_reports(std::int64_t now_ms, int limit) {
  return database_.locked(
      "find due reports", [&](Connection& connection) -> util::Result<std::vector<ReportRecord>> {
        static const std::string sql =
            std::string(kSelectReports) +
            "WHERE r.state = 'pending' AND r.next_attempt_at <= ? AND NOT EXISTS "
            "(SELECT 1 FROM reports o WHERE o.state = 'pending' AND o.order_key = r.order_key "
            "AND o.id < r.id) ORDER BY r.id LIMIT ?";
        return reports_from(connection.statement(sql).rows({now_ms, std::int64_t{limit}}));
      });
}

util::Result<std::optional<std::int64_t>> ReportQueue::next_report_due() {
  return database_.locked("find the next due report",
                          [&](Connection& connection) -> util::Result<std::optional<std::int64_t>> {
                            return connection
                                .statement(
                                    "SELECT MIN(next_attempt_at) FROM reports WHERE state = 'pending' "
                                    "HAVING COUNT(*) > 0")
                                .first_integer();
                          });
}

util::Status ReportQueue::end_report(std::int64_t id, ReportState state, const std::string& note,
                                     std::optional<std::int64_t> result_id) {
  return database_.locked("end report " + std::to_string(id), [&](Connection& connection) -> util::Status {
    connection.statement("UPDATE reports SET state = ?, last_error = ?, result_id = ? WHERE id = ?")
        .execute({to_string(state), note, nullable(result_id), id});
    return util::Ok{};
  });
}

util::Status ReportQueue::retry_report(std::int64_t id, std::int64_t next_attempt_ms,
                                       const std::string& error, bool count) {
  return database_.locked("put off report " + std::to_string(id),
                          [&](Connection& connection) -> util::Status {
                            connection
                                .statement(
                                    "UPDATE reports SET attempts = attempts + ?, next_attempt_at = ?, "
                                    "last_error = ? WHERE id = ?")
                                .execute({std::int64_t{count ? 1 : 0}, next_attempt_ms, error, id});
                            return util::Ok{};
                          });
}

util::Result<std::int64_t> ReportQueue::pending_count() {
  return database_.locked("count pending reports", [&](Connection& connection) -> util::Result<std::int64_t> {
    return connection.statement("SELECT COUNT(*) FROM reports WHERE state = 'pending'")
        .first_integer()
        .value_or(0);
  });
}

util::Result<std::vector<ReportRecord>> ReportQueue::reports_of_run(std::int64_t run_id) {
  return database_.locked("list the reports of run " + std::to_string(run_id),
                          [&](Connection& connection) -> util::Result<std::vector<ReportRecord>> {
                            static const std::string sql =
                                std::string(kSelectReports) + "WHERE r.run_id = ? ORDER BY r.id";
                            return reports_from(connection.statement(sql).rows({run_id}));
                          });
}

util::Result<std::int64_t> ReportQueue::prune_reports(std::int64_t keep) {
  return database_.locked("prune sent reports", [&](Connection& connection) -> util::Result<std::int64_t> {
    connection
        .statement(
            "DELETE FROM reports WHERE state != 'pending' AND id NOT IN (SELECT id FROM reports WHERE "
            "state != 'pending' ORDER BY id DESC LIMIT ?) AND id NOT IN (SELECT depends_on FROM reports "
            "WHERE state = 'pending' AND depends_on IS NOT NULL)")
        .execute({keep});
    return connection.changes();
  });
}

}  // namespace turnout::agent
