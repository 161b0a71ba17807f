#include "agent/report/cli_reporting.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>

#include "agent/report/commit_status.h"

namespace turnout::agent {

util::Result<std::unique_ptr<CliReporting>> CliReporting::open(const std::string& config_path,
                                                               std::string repo_name, RunHistory& runs,
                                                               ReportQueue& reports) {
  auto loaded = load_agent_config(config_path);
  if (!loaded.ok()) return util::fail(loaded.errors.front().to_string(), util::ErrorKind::invalid);
  if (repo_name.empty()) {
    const char* from_actions = std::getenv("GITHUB_REPOSITORY");
    repo_name = from_actions == nullptr ? "" : from_actions;
  }
  if (repo_name.empty())
    return util::fail("--report needs the repository: --github-repo OWNER/REPO (or $GITHUB_REPOSITORY)",
                      util::ErrorKind::invalid);
  const RepoConfig* repo = find_repo(loaded.config, repo_name);
  if (repo == nullptr)
    return util::fail("--report: repository " + repo_name + " is not in " + config_path,
                      util::ErrorKind::invalid);
  const std::string name = repo->name;
  return std::unique_ptr<CliReporting>(new CliReporting(std::move(loaded.config), name, runs, reports));
}

CliReporting::CliReporting(AgentConfig config, std::string repo_name, RunHistory& runs, ReportQueue& reports)
    : config_(std::move(config)),
      repo_name_(std::move(repo_name)),
      runs_(runs),
      sender_(config_, reports, nullptr),
      reporting_(config_, runs_, reports),
      observer_(reporting_.observer(repo_name_)) {
  // A run's link (public_url/runs/ID) names a run of the agent's store: this run is one only
  // when it is recorded there too. The environment_url of deployments keeps the public_url.
  std::error_code error;
  const auto ours =
      std::filesystem::weakly_canonical(std::filesystem::path(runs_.path()).parent_path(), error);
  const auto agents = std::filesystem::weakly_canonical(config_.data_dir, error);
  if (ours != agents) reporting_.drop_run_links();
}

std::vector<steps::RunObserver*> CliReporting::observers() {
  if (!observer_) return {};
  return {observer_.get()};
}

void CliReporting::rolled_back(const std::string& app, const std::string& sha, std::chrono::seconds timeout) {
  reporting_.rolled_back(repo_name_, app, sha, "turnout deploy rollback");
  send(timeout);
}

void CliReporting::finish(std::int64_t run_id, std::chrono::seconds timeout) {
  if (run_id != 0) reporting_.run_ended(run_id, repo_name_);
  send(timeout);
}

void CliReporting::send(std::chrono::seconds timeout) {
  const auto left = sender_.drain(std::chrono::steady_clock::now() + timeout);
  if (left > 0) spdlog::warn("{} reports not sent yet: they stay queued in {}", left, runs_.path());
}

}  // namespace turnout::agent
