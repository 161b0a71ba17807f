#pragma once
// The reports waiting to go out (table `reports`): queueing with a bound, picking what is due
// in order per key, and the sender's bookkeeping.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/store/database.h"
#include "agent/store/report_record.h"
#include "util/result.h"

namespace turnout::agent {

/// Reports to GitHub and to `notify:` URLs, kept so that a restart loses none.
class ReportQueue {
 public:
  /// On `database`, which must outlive this.
  explicit ReportQueue(Database& database) : database_(database) {}

  /// Queues a report (reporting.h); when `bound` reports are already pending, the oldest
  /// pending commit status (else the oldest report) is dropped to make room, with a log line.
  /// Returns the new report's id.
  util::Result<std::int64_t> enqueue_report(const NewReport& report, std::int64_t bound);
  /// Up to `limit` pending reports due at `now_ms` (Unix ms) whose order_key has no older
  /// pending report, oldest first, each with the state of the report it depends on.
  util::Result<std::vector<ReportRecord>> due_reports(std::int64_t now_ms, int limit);
  /// The earliest next_attempt_at of the pending reports; nullopt when none is pending.
  util::Result<std::optional<std::int64_t>> next_report_due();
  /// Ends report `id` as `state` (sent or dropped) with `note` (why it was dropped) and, for a
  /// sent deployment, GitHub's id of it.
  util::Status end_report(std::int64_t id, ReportState state, const std::string& note,
                          std::optional<std::int64_t> result_id = std::nullopt);
  /// Puts report `id` off until `next_attempt_ms`, noting `error`; `count` adds a failed attempt.
  util::Status retry_report(std::int64_t id, std::int64_t next_attempt_ms, const std::string& error,
                            bool count);
  /// How many reports are pending.
  util::Result<std::int64_t> pending_count();
  /// Every report of run `run_id`, oldest first (for tests and people).
  util::Result<std::vector<ReportRecord>> reports_of_run(std::int64_t run_id);
  /// Deletes the sent and dropped reports but the newest `keep` (never one a pending report
  /// depends on); returns how many went.
  util::Result<std::int64_t> prune_reports(std::int64_t keep);

 private:
  Database& database_;
};

}  // namespace turnout::agent
