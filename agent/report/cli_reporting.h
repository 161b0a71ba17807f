#pragma once
// `turnout run --report --config agent.yml`: a foreground run reports like the agent's runs do;
// `turnout deploy rollback --report` reports the rollback as a deployment of the older commit.
// The repository is the config's repos[] entry named by --github-repo, else by
// $GITHUB_REPOSITORY (set on GitHub Actions runners). Reports go through the same durable
// queue; at the end the run waits a short while for them to go out, and whatever is still
// pending stays queued in the data folder's store, for the next `turnout run --report` or an
// agent on the same data folder to send.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/config/agent_config.h"
#include "agent/report/report_sender.h"
#include "agent/report/reporting.h"
#include "steps/run_observer.h"

namespace turnout::agent {

/// The reporting of one foreground run.
class CliReporting {
 public:
  /// Loads `config_path` and finds `repo_name` ("" = $GITHUB_REPOSITORY) in it. Fails with one
  /// line for the person: a bad config, no repository named, or none configured by that name.
  static util::Result<std::unique_ptr<CliReporting>> open(const std::string& config_path,
                                                          std::string repo_name, RunHistory& runs,
                                                          ReportQueue& reports);

  /// The observers to give the run (none when the repository reports nothing to GitHub).
  std::vector<steps::RunObserver*> observers();
  /// `turnout deploy rollback --report`: traffic of `app` went back to commit `sha`, reported as
  /// a new, successful deployment of it; then sends what is queued, for up to `timeout`.
  void rolled_back(const std::string& app, const std::string& sha,
                   std::chrono::seconds timeout = std::chrono::seconds(10));
  /// Queues the end of run `run_id` and sends what is queued, for up to `timeout`.
  void finish(std::int64_t run_id, std::chrono::seconds timeout = std::chrono::seconds(10));

 private:
  CliReporting(AgentConfig config, std::string repo_name, RunHistory& runs, ReportQueue& reports);
  void send(std::chrono::seconds timeout);

  AgentConfig config_;
  std::string repo_name_;
  RunHistory& runs_;
  ReportSender sender_;
  Reporting reporting_;
  std::unique_ptr<steps::RunObserver> observer_;
};

}  // namespace turnout::agent
