#include "agent/serve/scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "agent/run/run_executor.h"
#include "util/strings.h"

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
  const std::string where = " of repository " + repo->name + " in " + config.file;
  request.remote.credentials.token_setting = "token_env or token_file" + where;
  request.remote.credentials.key_setting = "ssh_key_file" + where;
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

using Clock = std::chrono::steady_clock;
constexpr auto kFirstRetry = std::chrono::milliseconds(500);
constexpr auto kLongestRetry = std::chrono::milliseconds(60'000);

// Why run `id`, neither queued nor run by a worker of this agent, is not cancelled.
CancelAnswer not_stopped(RunHistory& history, std::int64_t id) {
  const auto now = history.get(id);
  if (!now) return {CancelResult::failed, now.error().message};
  const auto run = "run " + std::to_string(id);
  if (now.value() && is_final(now.value()->status))
    return {CancelResult::ended, run + " has already ended (" + to_string(now.value()->status) + ")"};
  if (now.value() && !now.value()->scheduled) {
    return {CancelResult::elsewhere,
            run + " is a `turnout run` in another process, not one of this agent's runs: stop it there"};
  }
  return {CancelResult::elsewhere,
          run +
              " is marked running but no worker of this agent runs it (yet): try "
              "again in a moment; one left by a stopped agent ends at its next start"};
}

// Whether `branch` could name a git branch: what a person types, checked before it is queued.
bool is_branch_name(const std::string& branch) {
  return !branch.empty() && branch.size() <= 255 && branch.front() != '-' && branch.front() != '/' &&
         branch.back() != '/' && branch.find("..") == std::string::npos &&
         branch.find_first_of(" ~^:?*[\\") == std::string::npos &&
         util::first_control_character(branch) == std::string::npos;
}

}  // namespace

Scheduler::Scheduler(SchedulerConfig config, SchedulerStores stores, Metrics& metrics, Reporting* reporting,
                     std::chrono::milliseconds poll)
    : config_(std::move(config)),
      repos_(config_.repos),
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
    // The store has just written a run: an end it could not record may well fit now.
    for (auto& [id, end] : unrecorded_) end.retry = Clock::now();
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
  if (auto answer = unrecorded_answer(id)) return *answer;
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
                     Trigger::rerun, run.id,  run.repo_name, true,    run.message};
  const auto queued = queue_.enqueue_run(again);
  if (!queued) return {RerunResult::failed, queued.error().message};
  notify_queued();
  return {RerunResult::queued, "rerun of run " + std::to_string(run.id), queued.value()};
}

TriggerAnswer Scheduler::trigger(const std::string& repo_name, const std::string& branch) {
  const auto repos = repos_.get();
  const RepoConfig* repo = find_repo(*repos, repo_name);
  if (repo == nullptr)
    return {TriggerResult::unknown_repo,
            "repository '" + repo_name + "' is not in " + repos->file + "'s repos"};
  if (!is_branch_name(branch)) return {TriggerResult::refused, "'" + branch + "' is not a branch name"};
  const auto watched =
      std::any_of(repo->branches.begin(), repo->branches.end(),
                  [&](const std::string& pattern) { return util::glob_match(pattern, branch); });
  if (!watched) {
    return {TriggerResult::refused, "branch '" + branch + "' is not one repository " + repo->name +
                                        " runs (branches: " + util::join(repo->branches, ", ") + ")"};
  }
  std::string url = repo->url;
  if (url.empty()) {
    RunFilter latest;
    latest.repo_name = repo->name;
    latest.limit = 1;
    const auto earlier = history_.page(latest);
    if (!earlier) return {TriggerResult::failed, earlier.error().message};
    if (earlier.value().runs.empty()) {
      return {TriggerResult::no_url, "repository " + repo->name + " has no `url:` in " + repos->file +
                                         " and no push has said where it is yet: set its url"};
    }
    url = earlier.value().runs.front().repo;
  }
  const NewRun run{url, "refs/heads/" + branch, branch, "", "", Trigger::manual, std::nullopt, repo->name,
                   true};
  const auto queued = queue_.enqueue_run(run);
  if (!queued) return {TriggerResult::failed, queued.error().message};
  notify_queued();
  return {TriggerResult::queued, "the head of " + branch + " of " + repo->name, queued.value()};
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
  // A last try; what is still unrecorded stays `running` in the store until the next start
  // marks it interrupted (its process is gone then).
  {
    std::lock_guard guard(mutex_);
    for (auto& [id, end] : unrecorded_) end.retry = Clock::now();
  }
  record_unrecorded();
}

std::size_t Scheduler::unrecorded_ends() {
  std::lock_guard lock(mutex_);
  return unrecorded_.size();
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
    record_unrecorded();
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
  auto until = Clock::now() + poll_;
  for (const auto& [id, end] : unrecorded_) until = std::min(until, end.retry);
  return changed_.wait_until(lock, until, [&] { return stopping_ || changes_ != seen; });
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
  end_run(run, interrupted_by_shutdown(), true);
  return nullptr;
}

void Scheduler::run(const RunRecord& run, RunControl& control) {
  const auto started = std::chrono::steady_clock::now();
  spdlog::info("run {}: {} {} of {} ({})", run.id, run.ref, run.sha, run.repo, to_string(run.trigger));
  const auto request = request_for(run, *repos_.get());
  const auto asked = control.ending();
  const bool queued_again = asked && asked->requeue;
  if (!request) {
    end_run(run, RunEnding{RunStatus::error, request.error().message}, queued_again);
  } else {
    const auto reporter = reporting_ != nullptr ? reporting_->observer(run.repo_name) : nullptr;
    std::vector<steps::RunObserver*> observers;
    if (reporter) observers.push_back(reporter.get());
    RunExecutor executor(config_.data_dir, history_, observers, config_.traffic);
    const auto outcome = executor.execute_claimed(run, request.value(), control, queue_);
    if (!outcome.message.empty()) spdlog::warn("run {}: {}", run.id, outcome.message);
    const auto stopped = control.ending();
    if (outcome.unrecorded_end)
      keep_unrecorded(run, *outcome.unrecorded_end, stopped && stopped->requeue);
    else if (reporting_ != nullptr)  // from the store: a stop says superseded by which run, a fetch its error
      reporting_->run_ended(run.id, run.repo_name, stopped && stopped->requeue);
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

// Records `run`'s end, and reports it; an end the store cannot write is kept and retried.
void Scheduler::end_run(const RunRecord& run, const RunEnding& ending, bool queued_again) {
  if (auto ended = history_.finish_run(run.id, ending); !ended) {
    spdlog::warn("run {}: cannot record its end: {}", run.id, ended.error().message);
    keep_unrecorded(run, ending, queued_again);
    return;
  }
  if (reporting_ != nullptr) reporting_->run_ended(run.id, run.repo_name, queued_again);
}

void Scheduler::keep_unrecorded(const RunRecord& run, const RunEnding& ending, bool queued_again) {
  std::lock_guard lock(mutex_);
  unrecorded_[run.id] =
      UnrecordedEnd{run.repo_name, ending, queued_again, Clock::now() + kFirstRetry, kFirstRetry};
}

// Tries again to record the ends whose time has come; one worker at a time, off the lock.
void Scheduler::record_unrecorded() {
  std::vector<std::pair<std::int64_t, UnrecordedEnd>> due;
  {
    std::lock_guard lock(mutex_);
    if (recording_) return;
    for (const auto& [id, end] : unrecorded_) {
      if (end.retry <= Clock::now()) due.emplace_back(id, end);
    }
    if (due.empty()) return;
    recording_ = true;
  }
  std::vector<std::pair<std::int64_t, UnrecordedEnd>> recorded;
  for (const auto& [id, end] : due) {
    const auto finished = history_.finish_run(id, end.ending);
    std::lock_guard lock(mutex_);
    auto& kept = unrecorded_.at(id);
    if (finished) {
      spdlog::info("run {}: its end is recorded now ({})", id, to_string(end.ending.status));
      recorded.emplace_back(id, end);
      unrecorded_.erase(id);
      ++changes_;  // its branch may go on
      continue;
    }
    kept.backoff = std::min(kept.backoff * 2, kLongestRetry);
    kept.retry = Clock::now() + kept.backoff;
    spdlog::warn("run {}: still cannot record its end (next try in {} ms): {}", id, kept.backoff.count(),
                 finished.error().message);
  }
  {
    std::lock_guard lock(mutex_);
    recording_ = false;
  }
  if (!recorded.empty()) changed_.notify_all();
  for (const auto& [id, end] : recorded) {
    if (reporting_ != nullptr) reporting_->run_ended(id, end.repo_name, end.queued_again);
  }
}

// The answer to cancelling run `id` when it has ended but the store does not know it yet.
std::optional<CancelAnswer> Scheduler::unrecorded_answer(std::int64_t id) {
  std::lock_guard lock(mutex_);
  const auto found = unrecorded_.find(id);
  if (found == unrecorded_.end()) return std::nullopt;
  return CancelAnswer{CancelResult::ended,
                      "run " + std::to_string(id) + " has ended (" + to_string(found->second.ending.status) +
                          ") but the store could not record it yet (see the agent's log): it is recorded as "
                          "soon as the store can write again"};
}

}  // namespace turnout::agent
