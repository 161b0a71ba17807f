// The scheduler against a real store file: when its workers look at the queue, and that a slow
// store call holds up nothing but the worker that made it.
#include "agent/serve/scheduler.h"

#include <Poco/Data/Session.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "agent/store/connection.h"
#include "agent/store/store.h"
#include "tests/support/temp_dir.h"

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
