// The scheduler against a real store file: when its workers look at the queue, and that a slow
// store call holds up nothing but the worker that made it.
#include "agent/serve/scheduler.h"

#include <Poco/Data/Session.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "agent/store/connection.h"
#include "agent/store/store.h"
#include "tests/support/git_repo.h"
#include "tests/support/temp_dir.h"
#include "util/utc_time.h"

using namespace turnout;
using agent::Scheduler;

namespace {

using Clock = std::chrono::steady_clock;

// A run of a repository that does not exist: a worker that takes it ends it `error` at once.
agent::NewRun missing_repo_run() {
  return agent::NewRun{"/nonexistent/turnout-test.git",  "refs/heads/main", "main", "abc123", "",
                       turnout::agent::Trigger::webhook, std::nullopt};
}

agent::SchedulerConfig one_worker(const test::TempDir& dir) {
  agent::SchedulerConfig config;
  config.data_dir = dir.path().string();
  config.workers = 1;
  return config;
}

// Waits up to `timeout` until run `id` is no longer queued; its status then.
agent::RunStatus status_after(agent::RunHistory& store, std::int64_t id, std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto run = store.get(id);
    REQUIRE(run);
    REQUIRE(run.value());
    if (run.value()->status != agent::RunStatus::queued || Clock::now() > deadline)
      return run.value()->status;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

template <typename Call>
std::chrono::milliseconds time_of(Call&& call) {
  const auto started = Clock::now();
  call();
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
}

}  // namespace

TEST_CASE("scheduler: a push that lands while a worker looks at the queue wakes it",
          "[unit][scheduler][store]") {
  test::TempDir dir;
  auto opened = agent::Store::open(dir.path().string());
  REQUIRE(opened);
  agent::Store& store = *opened.value();
  const auto config = one_worker(dir);
  agent::Metrics metrics;
  // An idle worker looks again only after an hour: nothing but the push's notify can wake it.
  Scheduler scheduler(config, {store.queue, store.history}, metrics, nullptr, std::chrono::hours(1));

  // The push lands after the worker's first look found the queue empty and before it waits,
  // from another thread as the webhook intake's would.
  std::atomic<std::int64_t> pushed{0};
  std::thread intake;
  std::atomic<bool> first{true};
  store.queue.after_claim_for_test([&] {
    if (!first.exchange(false)) return;
    std::atomic<bool> notified{false};
    intake = std::thread([&] {
      pushed = store.queue.enqueue_run(missing_repo_run()).value();
      scheduler.notify_queued(false);
      notified = true;
    });
    // Bounded: a worker that held the scheduler's lock here would never let the notify in.
    for (int i = 0; i < 250 && !notified; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  });
  scheduler.start();
  for (int i = 0; i < 500 && pushed == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(pushed != 0);
  CHECK(status_after(store.history, pushed, std::chrono::seconds(10)) != agent::RunStatus::queued);
  scheduler.shutdown(std::chrono::milliseconds(0));
  intake.join();
}

TEST_CASE("scheduler: a worker waiting for a busy database holds up neither notify nor stop",
          "[integration][scheduler][store]") {
  test::TempDir dir;
  auto opened = agent::Store::open(dir.path().string());
  REQUIRE(opened);
  agent::Store& store = *opened.value();
  const auto config = one_worker(dir);
  agent::Metrics metrics;
  Scheduler scheduler(config, {store.queue, store.history}, metrics);
  std::atomic<int> claims{0};
  store.queue.after_claim_for_test([&] { ++claims; });

  // Another process writes: the worker's claim waits for the database (busy timeout 10 s).
  agent::detail::Connection other(store.path());
  other.exec("BEGIN EXCLUSIVE");
  scheduler.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  CHECK(time_of([&] { scheduler.notify_queued(false); }) < std::chrono::seconds(1));
  agent::StopAnswer answer = agent::StopAnswer::stopping;
  CHECK(time_of([&] {
          answer = scheduler.stop_run(42, agent::RunEnding{agent::RunStatus::cancelled, "asked"});
        }) < std::chrono::seconds(1));
  CHECK(answer == agent::StopAnswer::not_here);
  // All of that happened while the worker's claim was still waiting.
  CHECK(claims == 0);

  other.exec("ROLLBACK");
  scheduler.shutdown(std::chrono::milliseconds(0));
  CHECK(claims >= 1);
}

namespace {

// Makes the store refuse to record any run's end, as a full disk does, until the trigger is
// dropped: every other write still works, so the run is claimed and runs.
void refuse_run_ends(const std::string& path) {
  agent::detail::Connection other(path);
  other.exec(
      "CREATE TRIGGER test_disk_full BEFORE UPDATE OF status ON runs "
      "WHEN NEW.status NOT IN ('queued', 'running') "
      "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
}

void accept_run_ends(const std::string& path) {
  agent::detail::Connection other(path);
  other.exec("DROP TRIGGER test_disk_full");
}

// Waits up to 30 s until `done()`; whether it came.
template <typename Done>
bool eventually(Done&& done) {
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace

TEST_CASE(
    "scheduler: a run whose end the store cannot record is recorded once it can, and its branch goes on",
    "[integration][scheduler][store]") {
  test::TempDir dir;
  auto opened = agent::Store::open(dir.path().string());
  REQUIRE(opened);
  agent::Store& store = *opened.value();
  agent::Metrics metrics;
  Scheduler scheduler(one_worker(dir), {store.queue, store.history}, metrics, nullptr,
                      std::chrono::milliseconds(50));
  refuse_run_ends(store.path());
  const auto first = store.queue.enqueue_run(missing_repo_run());
  REQUIRE(first);
  scheduler.start();

  // The run is over (its fetch failed) but the store still says running: a cancel says so.
  agent::CancelAnswer answer;
  CHECK(eventually([&] {
    answer = scheduler.cancel(first.value(), "asked");
    return answer.result == agent::CancelResult::ended;
  }));
  CHECK_THAT(answer.reason, Catch::Contains("could not record it yet"));
  CHECK(scheduler.unrecorded_ends() == 1);
  const auto second = store.queue.enqueue_run(missing_repo_run());
  REQUIRE(second);

  SECTION("the next push, once the store writes, records it and runs") {
    CHECK(scheduler.unrecorded_ends() == 1);  // its retries failed meanwhile
    accept_run_ends(store.path());
    scheduler.notify_queued(false);
  }
  SECTION("a retry records it without any push") {
    CHECK(scheduler.unrecorded_ends() == 1);
    accept_run_ends(store.path());
  }
  CHECK(eventually([&] { return agent::is_final(store.history.get(first.value()).value()->status); }));
  CHECK(store.history.get(first.value()).value()->status == agent::RunStatus::error);
  CHECK(eventually([&] { return agent::is_final(store.history.get(second.value()).value()->status); }));
  CHECK(scheduler.unrecorded_ends() == 0);
  scheduler.shutdown(std::chrono::milliseconds(0));
}

TEST_CASE("scheduler: a run whose end is recorded late keeps what its stages and steps did and when it ended",
          "[integration][scheduler][store]") {
  test::TempDir dir;
  test::GitRepo repo(dir.path() / "repo");
  const auto sha = repo.commit(".turnout.yml",
                               "name: app\nstages:\n  - name: build\n    steps:\n      - name: work\n"
                               "        run: echo built\n",
                               "pipeline");
  auto opened = agent::Store::open((dir.path() / "data").string());
  REQUIRE(opened);
  agent::Store& store = *opened.value();
  agent::Metrics metrics;
  auto config = one_worker(dir);
  config.data_dir = (dir.path() / "data").string();
  Scheduler scheduler(config, {store.queue, store.history}, metrics, nullptr, std::chrono::milliseconds(50));
  // As a full disk does from the start of the run: a stage or step that starts is written (an
  // insert), its end (an update) and the run's end are not.
  refuse_run_ends(store.path());
  {
    agent::detail::Connection other(store.path());
    for (const char* table : {"stages", "steps"}) {
      other.exec(std::string("CREATE TRIGGER test_disk_full_") + table + " BEFORE UPDATE OF status ON " +
                 table +
                 " WHEN NEW.status <> 'running' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
    }
  }
  const auto run = store.queue.enqueue_run(
      agent::NewRun{repo.url(), "refs/heads/main", "main", sha, "", agent::Trigger::webhook, std::nullopt});
  REQUIRE(run);
  scheduler.start();
  REQUIRE(eventually([&] { return scheduler.unrecorded_ends() == 1; }));
  const auto before_the_store_writes = util::utc_now();
  {
    agent::detail::Connection other(store.path());
    other.exec("DROP TRIGGER test_disk_full_stages");
    other.exec("DROP TRIGGER test_disk_full_steps");
  }
  accept_run_ends(store.path());
  REQUIRE(eventually([&] { return agent::is_final(store.history.get(run.value()).value()->status); }));
  const auto recorded = store.history.get(run.value()).value().value();
  CHECK(recorded.status == agent::RunStatus::succeeded);
  // When it ended, not when the store could write again.
  CHECK(recorded.finished_at <= before_the_store_writes);
  REQUIRE(recorded.stages.size() == 1);
  CHECK(recorded.stages[0].status == steps::Status::succeeded);
  CHECK_FALSE(recorded.stages[0].finished_at.empty());
  REQUIRE(recorded.stages[0].steps.size() == 1);
  CHECK(recorded.stages[0].steps[0].status == steps::Status::succeeded);
  CHECK(recorded.stages[0].steps[0].exit_code == 0);
  CHECK(recorded.stages[0].steps[0].finished_at <= recorded.finished_at);
  scheduler.shutdown(std::chrono::milliseconds(0));
}

TEST_CASE("scheduler: cancel of a running `turnout run` says it is one, not that another agent runs it",
          "[unit][scheduler][store]") {
  test::TempDir dir;
  auto opened = agent::Store::open(dir.path().string());
  REQUIRE(opened);
  agent::Store& store = *opened.value();
  agent::Metrics metrics;
  Scheduler scheduler(one_worker(dir), {store.queue, store.history}, metrics);
  const auto id = store.history.create_run(missing_repo_run());
  REQUIRE(id);
  REQUIRE(store.history.start_run(id.value(), "p"));
  const auto answer = scheduler.cancel(id.value(), "asked");
  CHECK(answer.result == agent::CancelResult::elsewhere);
  CHECK_THAT(answer.reason, Catch::Contains("`turnout run`"));
}
