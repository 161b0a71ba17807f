#include "agent/serve/scheduler.h"

#include <spdlog/spdlog.h>

#include <optional>

#include "agent/run/run_executor.h"
#include "git/libgit2_session.h"

namespace turnout::agent {

namespace {

// Idle workers look at the store this often even when nobody told them of a run: a run queued
// by a process other than this agent (or again at start-up) is not announced.
constexpr auto kPoll = std::chrono::seconds(1);

// The repository's settings from agent.yml: where the pipeline is, what to fetch with.
util::Result<RunRequest> request_for(const RunRecord& run, const AgentConfig& config) {
  RunRequest request;
  request.remote.url = run.repo;
  request.remote.ref = run.ref;
  request.remote.sha = run.sha;
  request.branch = run.branch;
  request.trigger = run.trigger;
  request.rerun_of = run.rerun_of;
  const RepoConfig* repo = find_repo(config, run.repo_name);
  if (repo == nullptr) return request;
  request.pipeline_file = repo->pipeline;
  request.remote.credentials.ssh_key_file = repo->ssh_key_file;
  if (repo->token.configured()) {
    auto token = read_secret(repo->token);
    if (!token) return util::fail("repository " + repo->name + ": " + token.error().message);
    request.remote.credentials.token = std::move(token.value());
  }
  return request;
}

RunEnding interrupted_by_shutdown() {
  return RunEnding{RunStatus::error, "interrupted: the agent stopped", std::nullopt, true};
}

}  // namespace

Scheduler::Scheduler(const AgentConfig& config, RunStore& store, Metrics& metrics, Reporting* reporting)
    : config_(config), store_(store), metrics_(metrics), reporting_(reporting) {}

Scheduler::~Scheduler() { shutdown(std::chrono::milliseconds(0)); }

void Scheduler::start() {
  for (int i = 0; i < config_.workers; ++i) workers_.emplace_back([this] { work(); });
}

void Scheduler::notify_queued(bool may_preempt) {
  if (may_preempt) preempt();
  changed_.notify_all();
}

StopAnswer Scheduler::stop_run(std::int64_t id, const RunEnding& ending) {
  std::lock_guard lock(mutex_);
  const auto found = running_.find(id);
  if (found == running_.end()) return StopAnswer::not_here;
  return found->second->stop(ending) ? StopAnswer::stopping : StopAnswer::after_deploy;
}

void Scheduler::shutdown(std::chrono::milliseconds grace) {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  changed_.notify_all();
  if (!changed_.wait_for(lock, grace, [this] { return running_.empty(); })) {
    for (const auto& [id, control] : running_) {
      spdlog::warn("run {}: still running after the {} ms grace: stopping it", id, grace.count());
      control->stop(interrupted_by_shutdown());
    }
  }
  lock.unlock();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  workers_.clear();
}

void Scheduler::work() {
  // libgit2 stays initialised while this worker takes one run after another. Each run's sync
  // opens a session of its own, and the last one to close shut libgit2 down, so the next run
  // had mbedTLS parse the whole CA store again: up to a quarter of the agent's CPU under a
  // flood of pushes. After a poll interval without work it is let go: an idle agent does not
  // keep the ~3 MiB it takes.
  std::optional<git::Libgit2Session> libgit2;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto claimed = store_.claim_next();
    if (!claimed) spdlog::error("scheduler: {}", claimed.error().message);
    if (!claimed || !claimed.value()) {
      if (changed_.wait_for(lock, kPoll) == std::cv_status::timeout && libgit2) {
        lock.unlock();
        libgit2.reset();
        lock.lock();
      }
      continue;
    }
    const RunRecord run = std::move(*claimed.value());
    auto control = std::make_shared<RunControl>();
    running_.emplace(run.id, control);
    lock.unlock();
    if (!libgit2) libgit2.emplace();
    this->run(run, *control);
    lock.lock();
    running_.erase(run.id);
    changed_.notify_all();
  }
}

void Scheduler::run(const RunRecord& run, RunControl& control) {
  const auto started = std::chrono::steady_clock::now();
  spdlog::info("run {}: {} {} of {} ({})", run.id, run.ref, run.sha, run.repo, run.trigger);
  const auto request = request_for(run, config_);
  if (!request) {
    (void)store_.finish_run(run.id, RunStatus::error, request.error().message);
  } else {
    const auto reporter = reporting_ != nullptr ? reporting_->observer(run.repo_name) : nullptr;
    std::vector<steps::RunObserver*> observers;
    if (reporter) observers.push_back(reporter.get());
    RunExecutor executor(config_.data_dir, store_, observers);
    const auto outcome = executor.execute_claimed(run, request.value(), control);
    if (!outcome.message.empty()) spdlog::warn("run {}: {}", run.id, outcome.message);
  }
  // From the store, whatever ended it: a stop says superseded by which run, a fetch its error.
  if (reporting_ != nullptr) {
    const auto asked = control.ending();
    reporting_->run_ended(run.id, run.repo_name, asked && asked->requeue);
  }
  metrics_.observe_run(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

void Scheduler::preempt() {
  const auto found = store_.preemptions();
  if (!found) {
    spdlog::error("scheduler: {}", found.error().message);
    return;
  }
  for (const auto& preemption : found.value()) {
    const auto answer = stop_run(preemption.running, superseded_in_progress(preemption.newer));
    if (answer == StopAnswer::after_deploy) {
      spdlog::info("run {}: superseded by run {}; stopping after its deploy stage", preemption.running,
                   preemption.newer);
    }
  }
}

}  // namespace turnout::agent
