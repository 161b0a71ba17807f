#pragma once
// Reporting back (issue 6): what each repository reports, and the events that queue reports —
// a run queued or superseded at webhook intake, a run's end — into the store's durable queue.
// Queueing is one insert: a run never waits for GitHub, and never fails because of it.
// report_sender.h sends what is queued; status_observer.h queues a run's stage events.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/config/agent_config.h"
#include "agent/report/commit_status.h"
#include "agent/report/deployment_report.h"
#include "agent/store/report_queue.h"
#include "agent/store/run_history.h"
#include "steps/run_observer.h"
#include "util/reloadable.h"

namespace turnout::agent {

/// How many reports may wait at once; beyond it the oldest pending status is dropped.
constexpr std::int64_t kReportQueueBound = 10000;

/// What one repository reports, as agent.yml says and its token allows.
struct RepoReporting {
  std::string repo;                 ///< owner/repo, as configured
  Forge forge = Forge::github;      ///< where statuses go, and in which shape
  std::string api_url;              ///< without a trailing slash (Gitea, GitLab: the forge's own address)
  bool statuses = false;            ///< commit statuses go out
  bool deployments = false;         ///< deployments go out
  std::string environment;          ///< the deployments' environment
  std::vector<std::string> notify;  ///< URLs told of every ended run
  std::string public_url;           ///< the agent's, for links; "" = none
};

/// Queues the reports of the configured repositories.
class Reporting {
 public:
  /// Reads each repository's token for its forge once: one that cannot be read (missing or
  /// empty file, unset variable) is logged with one warning per repository, and that
  /// repository reports nothing to its forge (its `notify:` still works). `queued` is called
  /// after each report is queued (to wake the sender). `config` is copied (reload() replaces
  /// it); `runs` and `reports` must outlive this.
  Reporting(const ReposConfig& config, RunHistory& runs, ReportQueue& reports,
            std::function<void()> queued = {}, std::int64_t bound = kReportQueueBound);

  /// Reads `config` (and each repository's token) as the constructor does, for the reports queued
  /// from now on; a run already under way keeps reporting what it started with.
  void reload(const ReposConfig& config);
  /// Statuses and notifications queued from now on link to no run page (a run the agent's store
  /// does not hold has none); deployments keep the agent's public_url as their environment's.
  void drop_run_links();
  /// What repository `repo_name` reports, kept as it is for as long as the caller holds it
  /// (across reloads); nullptr when it reports nothing at all.
  std::shared_ptr<const RepoReporting> find(const std::string& repo_name) const;
  /// A push queued run `id`: a pending status for the run (when the pipeline's name is known
  /// from an earlier run of the repository: the pipeline itself is not fetched yet).
  void run_queued(std::int64_t id, const NewRun& run);
  /// Run `id` started: `report` queues what says so. Serialised with run_queued(), so that a
  /// run's "queued" status, when a worker took the run first, is left out rather than sent
  /// after its "running" one.
  void run_started(std::int64_t id, const std::function<void()>& report);
  /// Run `id` has ended (superseded at intake included): its final status, and the notifications.
  /// `queued_again`: a stop asked for its commit to be queued again (the agent stopping), so
  /// an `error` end is reported as `pending` instead, and nobody is notified yet.
  void run_ended(std::int64_t id, const std::string& repo_name, bool queued_again = false);
  /// An observer that reports run `repo_name`'s start, stages and deployments; nullptr when
  /// that repository reports nothing to GitHub.
  std::unique_ptr<steps::RunObserver> observer(const std::string& repo_name);
  /// Queues a deployment of `sha` to `repo`'s environment, ordered under `key`; returns its
  /// report's id (nullopt when it could not be queued). `run_id` 0: no run did it.
  std::optional<std::int64_t> deployment(const RepoReporting& repo, const std::string& key,
                                         const std::string& sha, const std::string& description,
                                         std::int64_t run_id);
  /// Queues a status of the deployment queued as report `deployment`, ordered under `key`; its
  /// log_url is run `run_id`'s link (none for 0), its environment_url the agent's public_url.
  void deployment_status(const RepoReporting& repo, const std::string& key, std::int64_t deployment,
                         DeploymentState state, const std::string& description, std::int64_t run_id);
  /// Traffic of `app` went back to commit `sha` by hand (`via`: "turnout deploy rollback", "the
  /// API"): a successful deployment of `sha` for repository `repo_name`, when it reports them.
  void rolled_back(const std::string& repo_name, const std::string& app, const std::string& sha,
                   const std::string& via);
  /// Queues a commit status of run `run_id` on `sha` for `context`, in `repo`'s forge's shape
  /// (its URL, state names and description limit), linking to the run's page.
  void status(const RepoReporting& repo, std::int64_t run_id, const std::string& sha, CommitState state,
              const std::string& context, const std::string& description);
  /// Queues `report`; a store failure is logged (the run goes on). Returns its id.
  std::optional<std::int64_t> enqueue(const NewReport& report);

 private:
  /// What agent.yml said at the last (re)load.
  struct Snapshot {
    ReposConfig config;                ///< the repositories and public URL it reports for
    std::vector<RepoReporting> repos;  ///< those that report anything, tokens read
  };

  static Snapshot snapshot_of(const ReposConfig& config);
  std::string run_link(std::int64_t run_id) const;
  void report_run_status(const RunRecord& run, const RepoReporting& repo, bool queued_again);
  void notify(const RunRecord& run, const RepoReporting& repo);
  std::string pipeline_name(const RunRecord& run, const RepoReporting& repo);

  util::Reloadable<Snapshot> current_;
  RunHistory& runs_;
  ReportQueue& reports_;
  std::function<void()> queued_;
  std::int64_t bound_;
  std::mutex started_mutex_;        // guards started_
  std::set<std::int64_t> started_;  // the runs that started lately (bounded)
};

/// The order key of the statuses of `context` on commit `sha`: they go out in order.
std::string status_order_key(const std::string& sha, const std::string& context);

}  // namespace turnout::agent
