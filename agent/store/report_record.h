#pragma once
// What the store keeps of a report waiting to go out (table `reports`): a commit status, a
// deployment, a deployment status or a notification, with its sending history. Plain data.

#include <cstdint>
#include <optional>
#include <string>

namespace turnout::agent {

/// What a report is; the sender treats each kind a little differently.
enum class ReportKind {
  status,             ///< POST .../statuses/{sha}
  deployment,         ///< POST .../deployments; GitHub's answer holds the deployment's id
  deployment_status,  ///< POST .../deployments/{id}/statuses; {id} is its deployment's answer
  notify,             ///< a signed run summary to a `notify:` URL
};

/// `status`, `deployment`, `deployment_status`, `notify`.
const char* to_string(ReportKind kind);
/// The kind named `text`; nullopt for anything else.
std::optional<ReportKind> parse_report_kind(const std::string& text);

/// Where a report is in its life: waiting, or done one way or the other.
enum class ReportState { pending, sent, dropped };

/// `pending`, `sent`, `dropped`.
const char* to_string(ReportState state);

/// A report to queue; the store adds id, state pending and the history.
struct NewReport {
  std::string repo;                        ///< owner/repo of the agent config's repos[] entry
  std::string order_key;                   ///< reports of one key go out one at a time, oldest first
  ReportKind kind = ReportKind::status;    ///< see ReportKind
  std::string url;                         ///< where to POST; `{deployment_id}` is filled in when sent
  std::string body;                        ///< the JSON body
  std::optional<std::int64_t> depends_on;  ///< deployment_status: its deployment's report
  std::optional<std::int64_t> run_id;      ///< the run it is about, for people reading the table
};

/// A queued report as the sender sees it.
struct ReportRecord {
  std::int64_t id = 0;                        ///< increasing
  NewReport report;                           ///< what was queued
  int attempts = 0;                           ///< failed attempts so far
  std::int64_t next_attempt_at = 0;           ///< Unix time in ms; not sent before
  ReportState state = ReportState::pending;   ///< see ReportState
  std::string last_error;                     ///< why the last attempt failed, or why it was dropped
  std::optional<std::int64_t> result_id;      ///< deployment: GitHub's id, once sent
  std::optional<ReportState> dependency;      ///< the state of depends_on's report, when it has one
  std::optional<std::int64_t> dependency_id;  ///< the result_id of depends_on's report, once sent
};

}  // namespace turnout::agent
