#include "agent/serve/scheduler.h"

#include <spdlog/spdlog.h>

#include <optional>

#include "agent/run/run_executor.h"

namespace turnout::agent {

namespace {

// The repository's settings from agent.yml: where the pipeline is, what to fetch with.
util::Result<RunRequest> request_for(const RunRecord& run, const ReposConfig& config) {
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

// Why run `id`, neither queued nor run by this agent, is not cancelled.
CancelAnswer not_stopped(RunHistory& history, std::int64_t id) {
  const auto now = history.get(id);
  if (now && now.value() && is_final(now.value()->status)) {
    return {CancelResult::ended,
            "run " + std::to_string(id) + " has already ended (" + to_string(now.value()->status) + ")"};
  }
  return {CancelResult::elsewhere,
          "run " + std::to_string(id) +
              " is run by another turnout process (turnout run), not this agent: stop it there"};
}

}  // namespace

Scheduler::Scheduler(SchedulerConfig config, SchedulerStores stores, Metrics& metrics, Reporting* reporting,
                     std::chrono::milliseconds poll)
    : config_(std::move(config)),
      queue_(stores.queue),
      history_(stores.history),
      metrics_(metrics),
      reporting_(reporting),
      poll_(poll) {}

Scheduler::~Scheduler() { shutdown(std::chrono::milliseconds(0)); }

void Scheduler::start() {
  for (int i = 0; i < config_.workers; ++i) workers_.emplace_back([this] { work(); });
}

void Scheduler::notify_queued(bool may_preempt) {
  if (may_preempt) preempt();
  {
    std::lock_guard lock(mutex_);
    ++changes_;
  }
  changed_.notify_all();
}

StopAnswer Scheduler::stop_run(std::int64_t id, const RunEnding& ending) {
  std::lock_guard lock(mutex_);
  const auto found = running_.find(id);
  if (found == running_.end()) return StopAnswer::not_here;
  return found->second->stop(ending) ? StopAnswer::stopping : StopAnswer::after_deploy;
}

CancelAnswer Scheduler::cancel(std::int64_t id, const std::string& reason) {
  const auto run = history_.get(id);
  if (!run) return {CancelResult::failed, run.error().message};
  if (!run.value()) return {CancelResult::no_such_run, "no run " + std::to_string(id)};
  if (run.value()->status == RunStatus::queued) {
    const auto cancelled = queue_.cancel_queued(id, reason);
    if (!cancelled) return {CancelResult::failed, cancelled.error().message};
    if (cancelled.value()) return {CancelResult::cancelled, reason};
    // It was taken off the queue meanwhile: cancel it as a running run.
  }
  switch (stop_run(id, RunEnding{RunStatus::cancelled, reason})) {
    case StopAnswer::stopping:
      return {CancelResult::stopping, "its running step is being stopped"};
    case StopAnswer::after_deploy:
      return {CancelResult::stopping, "it stops when its deploy stage has ended: a deploy always finishes"};
    case StopAnswer::not_here:
      break;
  }
  return not_stopped(history_, id);
}

RerunAnswer Scheduler::rerun(std::int64_t id) {
  const auto found = history_.get(id);
  if (!found) return {RerunResult::failed, found.error().message};
  if (!found.value()) return {RerunResult::no_such_run, "no run " + std::to_string(id)};
  const RunRecord& run = *found.value();
  if (run.sha.empty()) {
    return {RerunResult::no_commit,
            "run " + std::to_string(run.id) + " ran in " + run.repo +
                ", a folder that is not a git repository: there is no commit to run again"};
  }
  const NewRun again{run.repo,       run.ref, run.branch,    run.sha, run.pipeline,
                     Trigger::rerun, run.id,  run.repo_name, true};
  const auto queued = queue_.enqueue_run(again);
  if (!queued) return {RerunResult::failed, queued.error().message};
  notify_queued();
  return {RerunResult::queued, "rerun of run " + std::to_string(run.id), queued.value()};
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
  for (;;) {
    std::uint64_t seen = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      seen = changes_;
    }
    // Off the lock: a claim waits for the database (up to its busy timeout when another
    // process writes), and notify, stop and the other workers must not wait with it.
    auto claimed = queue_.claim_next();
    if (!claimed) spdlog::error("scheduler: {}", claimed.error().message);
    if (claimed && claimed.value()) {
      run_claimed(*claimed.value(), libgit2);
    } else if (!wait_for_change(seen) && libgit2) {
      libgit2.reset();
    }
  }
}

// Waits until a run is queued or ends after `seen`, or the scheduler stops; false when a poll
// interval passed without either.
bool Scheduler::wait_for_change(std::uint64_t seen) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, poll_, [&] { return stopping_ || changes_ != seen; });
}

void Scheduler::run_claimed(const RunRecord& run, std::optional<git::Libgit2Session>& libgit2) {
  const auto control = take(run);
  if (!control) return;
  if (!libgit2) libgit2.emplace();
  this->run(run, *control);
  {
    std::lock_guard lock(mutex_);
    running_.erase(run.id);
    ++changes_;
  }
  changed_.notify_all();
}

// The control of a run just claimed, now known as running here; nullptr when the agent began
// stopping while the claim was under way: shutdown() cannot see that run to stop it, so it ends
// at once as shutdown ends every run it stops (interrupted, its commit queued again).
std::shared_ptr<RunControl> Scheduler::take(const RunRecord& run) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) return running_.emplace(run.id, std::make_shared<RunControl>()).first->second;
  }
  spdlog::info("run {}: claimed as the agent stopped: its commit is queued again", run.id);
  if (auto ended = history_.finish_run(run.id, interrupted_by_shutdown()); !ended)
    spdlog::error("run {}: {}", run.id, ended.error().message);
  return nullptr;
}

void Scheduler::run(const RunRecord& run, RunControl& control) {
  const auto started = std::chrono::steady_clock::now();
  spdlog::info("run {}: {} {} of {} ({})", run.id, run.ref, run.sha, run.repo, to_string(run.trigger));
  const auto request = request_for(run, config_.repos);
  if (!request) {
    if (auto ended = history_.finish_run(run.id, RunStatus::error, request.error().message); !ended)
      spdlog::error("run {}: {}", run.id, ended.error().message);
  } else {
    const auto reporter = reporting_ != nullptr ? reporting_->observer(run.repo_name) : nullptr;
    std::vector<steps::RunObserver*> observers;
    if (reporter) observers.push_back(reporter.get());
    RunExecutor executor(config_.data_dir, history_, observers);
    const auto outcome = executor.execute_claimed(run, request.value(), control, queue_);
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
  const auto found = queue_.preemptions();
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
