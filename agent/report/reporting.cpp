#include "agent/report/reporting.h"

#include <spdlog/spdlog.h>

#include "agent/report/commit_status.h"
#include "agent/report/gitea_status.h"
#include "agent/report/gitlab_status.h"
#include "agent/report/run_summary.h"
#include "agent/report/status_observer.h"
#include "util/duration.h"

namespace turnout::agent {

namespace {

struct StatusText {
  CommitState state = CommitState::error;
  std::string description;
};

std::string without_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// The Gitea, Forgejo or GitLab side of `repo`, when it reports there and its token can be read now.
void read_forge_api(const RepoConfig& repo, RepoReporting& out) {
  if (!repo.forge_api || !repo.forge_api->statuses) return;
  if (auto token = read_secret(repo.forge_api->token); !token) {
    spdlog::warn("repository {}: not reporting to {}: {}; its pipelines run without reporting", repo.name,
                 display_name(repo.forge), token.error().message);
    return;
  }
  out.api_url = without_trailing_slash(repo.forge_api->url);
  out.statuses = true;
}

// The GitHub side of `repo`, when it reports there and its token can be read now.
void read_github(const RepoConfig& repo, RepoReporting& out) {
  if (repo.forge != Forge::github) return read_forge_api(repo, out);
  if (!repo.github || (!repo.github->statuses && !repo.github->deployments)) return;
  if (auto token = read_secret(repo.github->token); !token) {
    spdlog::warn("repository {}: not reporting to GitHub: {}; its pipelines run without reporting", repo.name,
                 token.error().message);
    return;
  }
  out.api_url = without_trailing_slash(repo.github->api_url);
  out.statuses = repo.github->statuses;
  out.deployments = repo.github->deployments;
  out.environment = repo.github->environment;
}

std::string failed_stage_text(const RunRecord& run) {
  for (const auto& stage : run.stages) {
    if (stage.status != steps::Status::failed) continue;
    for (const auto& step : stage.steps) {
      if (step.status == steps::Status::failed)
        return failure_description(stage.name, step.name, step.reason);
    }
    return failure_description(stage.name, "", stage.reason);
  }
  return "failed" + (run.reason.empty() ? std::string() : ": " + run.reason);
}

StatusText run_end_text(const RunRecord& run, const std::string& newer_sha) {
  const auto took = util::format_duration(util::Duration(elapsed_ms(run.started_at, run.finished_at)));
  switch (run.status) {
    case RunStatus::succeeded:
      return {CommitState::success, "passed in " + took};
    case RunStatus::failed:
      return {CommitState::failure, failed_stage_text(run)};
    case RunStatus::superseded:
      return {CommitState::cancelled,
              "superseded by " + (newer_sha.empty() ? "a newer push" : short_sha(newer_sha)) +
                  (run.superseded_by ? " (run " + std::to_string(*run.superseded_by) + ")" : "")};
    case RunStatus::cancelled:
      return {CommitState::cancelled, "cancelled" + (run.reason.empty() ? "" : ": " + run.reason)};
    default:
      return {CommitState::error, "error: " + run.reason};
  }
}

}  // namespace

std::string status_order_key(const std::string& sha, const std::string& context) {
  return "status " + sha + " " + context;
}

Reporting::Reporting(const ReposConfig& config, RunHistory& runs, ReportQueue& reports,
                     std::function<void()> queued, std::int64_t bound)
    : current_(snapshot_of(config)),
      runs_(runs),
      reports_(reports),
      queued_(std::move(queued)),
      bound_(bound) {}

Reporting::Snapshot Reporting::snapshot_of(const ReposConfig& config) {
  Snapshot snapshot{config, {}};
  for (const auto& repo : config.repos) {
    RepoReporting reporting;
    reporting.repo = repo.name;
    reporting.forge = repo.forge;
    reporting.public_url = without_trailing_slash(config.public_url);
    read_github(repo, reporting);
    for (const auto& target : repo.notify) reporting.notify.push_back(target.url);
    if (reporting.statuses || reporting.deployments || !reporting.notify.empty())
      snapshot.repos.push_back(std::move(reporting));
  }
  return snapshot;
}

void Reporting::reload(const ReposConfig& config) { current_.replace(snapshot_of(config)); }

void Reporting::drop_run_links() {
  Snapshot without = *current_.get();
  without.config.public_url.clear();
  current_.replace(std::move(without));
}

std::shared_ptr<const RepoReporting> Reporting::find(const std::string& repo_name) const {
  auto snapshot = current_.get();
  const RepoConfig* configured = find_repo(snapshot->config, repo_name);
  if (configured == nullptr) return nullptr;
  for (const auto& repo : snapshot->repos) {
    // Shares the snapshot's life: the repository stays valid across a reload.
    if (repo.repo == configured->name) return std::shared_ptr<const RepoReporting>(snapshot, &repo);
  }
  return nullptr;
}

std::string Reporting::run_link(std::int64_t run_id) const { return run_url(current_.get()->config, run_id); }

std::optional<std::int64_t> Reporting::enqueue(const NewReport& report) {
  auto id = reports_.enqueue_report(report, bound_);
  if (!id) {
    spdlog::warn("run {}: cannot queue a report: {}", report.run_id.value_or(0), id.error().message);
    return std::nullopt;
  }
  if (queued_) queued_();
  return id.value();
}

std::string Reporting::pipeline_name(const RunRecord& run, const RepoReporting& repo) {
  if (!run.pipeline.empty()) return run.pipeline;
  auto latest = runs_.latest_pipeline(repo.repo);
  return latest ? latest.value() : std::string();
}

void Reporting::run_queued(std::int64_t id, const NewRun& run) {
  const auto repo = find(run.repo_name);
  if (repo == nullptr || !repo->statuses || run.sha.empty()) return;
  auto name = runs_.latest_pipeline(repo->repo);
  if (!name || name.value().empty()) return;  // the first push: its status comes when it starts
  const std::lock_guard lock(started_mutex_);
  if (started_.count(id) > 0) return;  // a worker was quicker: "running" is said already
  status(*repo, id, run.sha, CommitState::pending, status_context(name.value()),
         "queued as run " + std::to_string(id));
}

void Reporting::run_started(std::int64_t id, const std::function<void()>& report) {
  // Enough to cover the runs whose intake may still be reporting them queued.
  constexpr std::size_t kRemembered = 4096;
  const std::lock_guard lock(started_mutex_);
  started_.insert(id);
  while (started_.size() > kRemembered) started_.erase(started_.begin());
  report();
}

void Reporting::run_ended(std::int64_t id, const std::string& repo_name, bool queued_again) {
  const auto repo = find(repo_name);
  if (repo == nullptr) return;
  const auto found = runs_.get(id);
  if (!found || !found.value()) {
    spdlog::warn("run {}: cannot report its end: {}", id, found ? "no such run" : found.error().message);
    return;
  }
  const RunRecord& run = *found.value();
  const bool again = queued_again && run.status == RunStatus::error;
  if (repo->statuses && !run.sha.empty()) report_run_status(run, *repo, again);
  if (!again) notify(run, *repo);
}

void Reporting::report_run_status(const RunRecord& run, const RepoReporting& repo, bool queued_again) {
  const auto name = pipeline_name(run, repo);
  if (name.empty()) return;  // nothing was reported of it: no name, no context
  std::string newer_sha;
  if (run.superseded_by) {
    if (auto newer = runs_.get(*run.superseded_by); newer && newer.value()) newer_sha = newer.value()->sha;
  }
  auto text = run_end_text(run, newer_sha);
  if (queued_again) text = {CommitState::pending, "interrupted (" + run.reason + "): queued again"};
  status(repo, run.id, run.sha, text.state, status_context(name), text.description);
}

void Reporting::status(const RepoReporting& repo, std::int64_t run_id, const std::string& sha,
                       CommitState state, const std::string& context, const std::string& description) {
  const auto link = run_link(run_id);
  NewReport report{repo.repo, status_order_key(sha, context), ReportKind::status, "", "", std::nullopt,
                   run_id};
  switch (repo.forge) {
    case Forge::github:
      report.url = statuses_url(repo.api_url, repo.repo, sha);
      report.body = status_body(state, context, description, link);
      break;
    case Forge::gitea:
    case Forge::forgejo:
      report.url = gitea_statuses_url(repo.api_url, repo.repo, sha);
      report.body = gitea_status_body(state, context, description, link);
      break;
    case Forge::gitlab:
      report.url = gitlab_statuses_url(repo.api_url, repo.repo, sha);
      report.body = gitlab_status_body(state, context, description, link);
      break;
  }
  enqueue(report);
}

void Reporting::notify(const RunRecord& run, const RepoReporting& repo) {
  if (repo.notify.empty()) return;
  const auto body = run_summary(run, repo.repo, run_link(run.id));
  for (const auto& url : repo.notify)
    enqueue({repo.repo, "notify " + url, ReportKind::notify, url, body, std::nullopt, run.id});
}

std::optional<std::int64_t> Reporting::deployment(const RepoReporting& repo, const std::string& key,
                                                  const std::string& sha, const std::string& description,
                                                  std::int64_t run_id) {
  return enqueue({repo.repo, key, ReportKind::deployment, deployments_url(repo.api_url, repo.repo),
                  deployment_body(sha, repo.environment, description), std::nullopt,
                  run_id == 0 ? std::nullopt : std::optional<std::int64_t>(run_id)});
}

void Reporting::rolled_back(const std::string& repo_name, const std::string& app, const std::string& sha,
                            const std::string& via) {
  const auto repo = find(repo_name);
  if (repo == nullptr || !repo->deployments || sha.empty()) return;
  const auto description = "rollback: " + app + " back on " + short_sha(sha) + " (" + via + ")";
  const auto key = "rollback " + app + " " + sha;
  if (const auto made = deployment(*repo, key, sha, description, 0))
    deployment_status(*repo, key, *made, DeploymentState::success, description, 0);
}

void Reporting::deployment_status(const RepoReporting& repo, const std::string& key, std::int64_t deployment,
                                  DeploymentState state, const std::string& description,
                                  std::int64_t run_id) {
  const auto log_url = run_id == 0 ? std::string() : run_link(run_id);
  enqueue({repo.repo, key, ReportKind::deployment_status, deployment_statuses_url(repo.api_url, repo.repo),
           deployment_status_body(state, description, log_url, repo.public_url), deployment,
           run_id == 0 ? std::nullopt : std::optional<std::int64_t>(run_id)});
}

std::unique_ptr<steps::RunObserver> Reporting::observer(const std::string& repo_name) {
  const auto repo = find(repo_name);
  if (repo == nullptr || (!repo->statuses && !repo->deployments)) return nullptr;
  return std::make_unique<StatusObserver>(*this, repo);
}

}  // namespace turnout::agent
