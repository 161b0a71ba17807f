#pragma once
// A run's events as GitHub reports: a pending status for the run when it starts and for each
// stage as it starts, each stage's end, and for a deploy stage a deployment with its statuses
// (in_progress, then success or failure). A deploy that failed after the switch and put
// traffic back on the previous slot is also reported as a new deployment of that slot's commit.

#include <cstdint>
#include <optional>
#include <string>

#include "agent/report/commit_status.h"
#include "agent/report/deployment_report.h"
#include "agent/report/reporting.h"
#include "steps/run_observer.h"

namespace turnout::agent {

/// Queues the reports of one run of one repository, through `reporting` (see reporting.h).
class StatusObserver : public steps::RunObserver {
 public:
  /// `reporting` must outlive the observer; `repo` (not null) is what the run reports, kept as it
  /// was when the run started.
  StatusObserver(Reporting& reporting, std::shared_ptr<const RepoReporting> repo);

  void run_started(const pipeline::Pipeline& pipeline, const steps::RunContext& context) override;
  void stage_started(const pipeline::Stage& stage) override;
  void stage_finished(const pipeline::Stage& stage, const steps::StageResult& result) override;

 private:
  void status(const std::string& stage, CommitState state, const std::string& description);
  void start_deployment(const pipeline::Stage& stage);
  void end_deployment(const pipeline::Stage& stage, const steps::StageResult& result);
  void report_rollback(const pipeline::Stage& stage);

  Reporting& reporting_;
  std::shared_ptr<const RepoReporting> repo_;
  std::string pipeline_;
  std::string sha_;
  std::string data_dir_;
  std::int64_t run_id_ = 0;
  std::optional<std::int64_t> deployment_;  // the deploy stage's deployment report
};

}  // namespace turnout::agent
