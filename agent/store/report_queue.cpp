// The reports waiting to go out (table `reports`, migration 6): queueing with a bound, picking
// what is due in order per key, and the sender's bookkeeping. Part of RunStore (run_store.h).
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <spdlog/spdlog.h>

#include "agent/store/run_store.h"
#include "agent/store/run_store_impl.h"
#include "agent/store/sqlite.h"
#include "util/utc_time.h"

using namespace Poco::Data::Keywords;

namespace turnout::agent {

const char* to_string(ReportKind kind) {
  switch (kind) {
    case ReportKind::status:
      return "status";
    case ReportKind::deployment:
      return "deployment";
    case ReportKind::deployment_status:
      return "deployment_status";
    case ReportKind::notify:
      return "notify";
  }
  return "status";
}

std::optional<ReportKind> parse_report_kind(const std::string& text) {
  for (const auto kind :
       {ReportKind::status, ReportKind::deployment, ReportKind::deployment_status, ReportKind::notify}) {
    if (text == to_string(kind)) return kind;
  }
  return std::nullopt;
}

const char* to_string(ReportState state) {
  switch (state) {
    case ReportState::pending:
      return "pending";
    case ReportState::sent:
      return "sent";
    case ReportState::dropped:
      return "dropped";
  }
  return "pending";
}

namespace {

using Poco::Data::RecordSet;
using Poco::Data::Statement;
using Transaction = detail::Transaction;
using namespace detail;

constexpr const char* kReportColumns =
    "r.id, r.repo, r.order_key, r.kind, r.url, r.body, r.depends_on, r.run_id, r.attempts, "
    "r.next_attempt_at, r.state, r.last_error, r.result_id, d.state, d.result_id";

ReportState state_of(const std::string& text) {
  if (text == "sent") return ReportState::sent;
  if (text == "dropped") return ReportState::dropped;
  return ReportState::pending;
}

ReportRecord report_from_row(const RecordSet& rows, std::size_t row) {
  ReportRecord record;
  record.id = integer(rows, 0, row);
  record.report.repo = text(rows, 1, row);
  record.report.order_key = text(rows, 2, row);
  record.report.kind = parse_report_kind(text(rows, 3, row)).value_or(ReportKind::status);
  record.report.url = text(rows, 4, row);
  record.report.body = text(rows, 5, row);
  record.report.depends_on = nullable_integer(rows, 6, row);
  record.report.run_id = nullable_integer(rows, 7, row);
  record.attempts = static_cast<int>(integer(rows, 8, row));
  record.next_attempt_at = integer(rows, 9, row);
  record.state = state_of(text(rows, 10, row));
  record.last_error = text(rows, 11, row);
  record.result_id = nullable_integer(rows, 12, row);
  if (record.report.depends_on && !rows.isNull(13, row)) record.dependency = state_of(text(rows, 13, row));
  record.dependency_id = nullable_integer(rows, 14, row);
  return record;
}

std::vector<ReportRecord> select_reports(Poco::Data::Session& session, const std::string& where,
                                         std::vector<Poco::Int64> values) {
  Statement select(session);
  select << "SELECT " << kReportColumns << " FROM reports r LEFT JOIN reports d ON d.id = r.depends_on "
         << where;
  for (const auto value : values) select, bind(value);
  select, now;
  RecordSet rows(select);
  std::vector<ReportRecord> found;
  for (std::size_t row = 0; row < rows.rowCount(); ++row) found.push_back(report_from_row(rows, row));
  return found;
}

// A full queue gives up its oldest commit status first: a newer status of the same context
// says more than it; deployments and notifications are dropped only when nothing else is left.
void make_room(Poco::Data::Session& session, std::int64_t bound) {
  std::int64_t pending = 0;
  session << "SELECT COUNT(*) FROM reports WHERE state = 'pending'", into(pending), now;
  if (pending < bound) return;
  std::vector<Poco::Int64> oldest;
  session << "SELECT id FROM reports WHERE state = 'pending' ORDER BY kind != 'status', id LIMIT 1",
      into(oldest), now;
  if (oldest.empty()) return;
  session << "UPDATE reports SET state = 'dropped', last_error = 'the report queue was full' WHERE id = ?",
      bind(oldest.front()), now;
  spdlog::warn("report {}: dropped: the report queue holds {} pending reports (is GitHub reachable?)",
               oldest.front(), pending);
}

}  // namespace

util::Result<std::int64_t> RunStore::enqueue_report(const NewReport& report, std::int64_t bound) {
  return impl_->locked("queue a report", [&]() -> util::Result<std::int64_t> {
    auto& session = impl_->session;
    Transaction transaction(session, Transaction::Kind::write);
    make_room(session, bound);
    session << "INSERT INTO reports (run_id, repo, order_key, kind, url, body, depends_on, created_at) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        bind(to_nullable(report.run_id)), bind(report.repo), bind(report.order_key),
        bind(std::string(to_string(report.kind))), bind(report.url), bind(report.body),
        bind(to_nullable(report.depends_on)), bind(util::utc_now()), now;
    Poco::Int64 id = 0;
    session << "SELECT last_insert_rowid()", into(id), now;
    transaction.commit();
    return static_cast<std::int64_t>(id);
  });
}

util::Result<std::vector<ReportRecord>> RunStore::due_reports(std::int64_t now_ms, int limit) {
  return impl_->locked("find due reports", [&]() -> util::Result<std::vector<ReportRecord>> {
    return select_reports(impl_->session,
                          "WHERE r.state = 'pending' AND r.next_attempt_at <= ? AND NOT EXISTS "
                          "(SELECT 1 FROM reports o WHERE o.state = 'pending' AND o.order_key = r.order_key "
                          "AND o.id < r.id) ORDER BY r.id LIMIT ?",
                          {now_ms, limit});
  });
}

util::Result<std::optional<std::int64_t>> RunStore::next_report_due() {
  return impl_->locked("find the next due report", [&]() -> util::Result<std::optional<std::int64_t>> {
    std::vector<Poco::Int64> next;
    impl_->session << "SELECT MIN(next_attempt_at) FROM reports WHERE state = 'pending' HAVING COUNT(*) > 0",
        into(next), now;
    if (next.empty()) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(next.front());
  });
}

util::Status RunStore::end_report(std::int64_t id, ReportState state, const std::string& note,
                                  std::optional<std::int64_t> result_id) {
  return impl_->locked("end report " + std::to_string(id), [&]() -> util::Status {
    impl_->session << "UPDATE reports SET state = ?, last_error = ?, result_id = ? WHERE id = ?",
        bind(std::string(to_string(state))), bind(note), bind(to_nullable(result_id)),
        bind(static_cast<Poco::Int64>(id)), now;
    return util::Ok{};
  });
}

util::Status RunStore::retry_report(std::int64_t id, std::int64_t next_attempt_ms, const std::string& error,
                                    bool count) {
  return impl_->locked("put off report " + std::to_string(id), [&]() -> util::Status {
    impl_->session << "UPDATE reports SET attempts = attempts + ?, next_attempt_at = ?, last_error = ? "
                      "WHERE id = ?",
        bind(count ? 1 : 0), bind(static_cast<Poco::Int64>(next_attempt_ms)), bind(error),
        bind(static_cast<Poco::Int64>(id)), now;
    return util::Ok{};
  });
}

util::Result<std::vector<ReportRecord>> RunStore::reports_of_run(std::int64_t run_id) {
  return impl_->locked("list the reports of run " + std::to_string(run_id),
                       [&]() -> util::Result<std::vector<ReportRecord>> {
                         return select_reports(impl_->session, "WHERE r.run_id = ? ORDER BY r.id", {run_id});
                       });
}

util::Result<std::int64_t> RunStore::prune_reports(std::int64_t keep) {
  return impl_->locked("prune sent reports", [&]() -> util::Result<std::int64_t> {
    auto& session = impl_->session;
    session << "DELETE FROM reports WHERE state != 'pending' AND id NOT IN (SELECT id FROM reports WHERE "
               "state != 'pending' ORDER BY id DESC LIMIT ?) AND id NOT IN (SELECT depends_on FROM reports "
               "WHERE state = 'pending' AND depends_on IS NOT NULL)",
        bind(static_cast<Poco::Int64>(keep)), now;
    std::int64_t changed = 0;
    session << "SELECT changes()", into(changed), now;
    return changed;
  });
}

util::Result<std::string> RunStore::latest_pipeline(const std::string& repo_name) {
  return impl_->locked("find the pipeline of " + repo_name, [&]() -> util::Result<std::string> {
    std::vector<std::string> names;
    impl_->session
        << "SELECT pipeline FROM runs WHERE repo_name = ? AND pipeline != '' ORDER BY id DESC LIMIT 1",
        into(names), bind(repo_name), now;
    return names.empty() ? std::string() : names.front();
  });
}

}  // namespace turnout::agent
