#include "agent/store/group_commit.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

using turnout::agent::detail::GroupCommit;

namespace {

// A committer that takes its time, as an fsync does, and remembers what it committed.
struct SlowCommitter {
  std::mutex mutex;
  std::vector<std::size_t> batch_sizes;
  std::set<int> committed;
  int in_commit = 0;
  int most_in_commit = 0;

  void commit(const std::vector<GroupCommit<int, int>::Entry*>& batch) {
    {
      const std::lock_guard lock(mutex);
      most_in_commit = std::max(most_in_commit, ++in_commit);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (auto* entry : batch) entry->outcome = entry->item * 10;
    const std::lock_guard lock(mutex);
    batch_sizes.push_back(batch.size());
    for (auto* entry : batch) committed.insert(entry->item);
    --in_commit;
  }

  bool was_committed(int item) {
    const std::lock_guard lock(mutex);
    return committed.count(item) == 1;
  }
};

}  // namespace

TEST_CASE("group commit: a lone item is committed alone and gets its outcome", "[unit][store]") {
  SlowCommitter committer;
  GroupCommit<int, int> group([&](const auto& batch) { committer.commit(batch); });
  CHECK(group.submit(4) == 40);
  CHECK(group.submit(5) == 50);
  CHECK(committer.batch_sizes == std::vector<std::size_t>{1, 1});
}

TEST_CASE("group commit: items arriving during a commit are committed together, each caller after its own",
          "[unit][store]") {
  SlowCommitter committer;
  GroupCommit<int, int> group([&](const auto& batch) { committer.commit(batch); });
  constexpr int kCallers = 12;
  std::vector<int> outcomes(kCallers, 0);
  std::vector<int> committed_on_return(kCallers, 0);  // not vector<bool>: its bits share words
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      outcomes[i] = group.submit(i);
      committed_on_return[i] = committer.was_committed(i) ? 1 : 0;
    });
  }
  for (auto& caller : callers) caller.join();

  for (int i = 0; i < kCallers; ++i) {
    CHECK(outcomes[i] == i * 10);
    CHECK(committed_on_return[i] == 1);
  }
  std::size_t total = 0;
  for (auto size : committer.batch_sizes) total += size;
  CHECK(total == kCallers);
  // 12 callers against 20 ms commits: they share commits instead of taking one each.
  CHECK(committer.batch_sizes.size() < kCallers);
  CHECK(committer.most_in_commit == 1);
}

TEST_CASE("group commit: under a stream of submissions from many threads, no item is lost or committed twice",
          "[unit][store]") {
  // Commits that take no time make the hand-over from one committer to the next, and the
  // wake-ups of committed callers, race as hard as they can.
  std::mutex mutex;
  std::multiset<int> committed;
  int in_commit = 0;
  int most_in_commit = 0;
  GroupCommit<int, int> group([&](const auto& batch) {
    const std::lock_guard lock(mutex);
    most_in_commit = std::max(most_in_commit, ++in_commit);
    for (auto* entry : batch) {
      entry->outcome = -entry->item;
      committed.insert(entry->item);
    }
    --in_commit;
  });
  constexpr int kThreads = 8;
  constexpr int kEach = 500;
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const int item = t * kEach + i;
        if (group.submit(item) != -item) ++wrong[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();

  for (int t = 0; t < kThreads; ++t) CHECK(wrong[t] == 0);
  CHECK(committed.size() == static_cast<std::size_t>(kThreads * kEach));
  for (int item = 0; item < kThreads * kEach; ++item) {
    if (committed.count(item) != 1)
      FAIL("item " << item << " committed " << committed.count(item) << " times");
  }
  CHECK(most_in_commit == 1);
}

TEST_CASE("group commit: an item submitted without waiting is told its outcome on the committing thread",
          "[unit][store]") {
  SlowCommitter committer;
  GroupCommit<int, int> group([&](const auto& batch) { committer.commit(batch); });
  std::mutex mutex;
  std::vector<int> outcomes;
  std::set<std::thread::id> told_on;
  std::promise<void> all_told;
  constexpr int kItems = 20;
  for (int i = 0; i < kItems; ++i) {
    // Submitted from this one thread, which goes on at once: they share commits.
    group.submit_async(i, [&, i](int outcome) {
      CHECK(committer.was_committed(i));
      const std::lock_guard lock(mutex);
      outcomes.push_back(outcome);
      told_on.insert(std::this_thread::get_id());
      if (outcomes.size() == kItems) all_told.set_value();
    });
  }
  all_told.get_future().wait();
  const std::lock_guard lock(mutex);
  std::vector<int> expected;
  for (int i = 0; i < kItems; ++i) expected.push_back(i * 10);
  CHECK(outcomes == expected);  // in submission order
  CHECK(told_on.size() == 1);
  CHECK(told_on.count(std::this_thread::get_id()) == 0);
  CHECK(committer.batch_sizes.size() < kItems);
}

TEST_CASE(
    "group commit: a submission from the committing thread commits at once instead of waiting for itself",
    "[unit][store]") {
  SlowCommitter committer;
  GroupCommit<int, int> group([&](const auto& batch) { committer.commit(batch); });
  std::promise<int> nested;
  group.submit_async(1, [&](int) { nested.set_value(group.submit(2)); });
  auto outcome = nested.get_future();
  REQUIRE(outcome.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(outcome.get() == 20);
}

TEST_CASE("group commit: what was submitted is committed before the object goes", "[unit][store]") {
  SlowCommitter committer;
  std::atomic<int> told{0};
  {
    GroupCommit<int, int> group([&](const auto& batch) { committer.commit(batch); });
    for (int i = 0; i < 5; ++i) group.submit_async(i, [&](int) { ++told; });
  }
  CHECK(told == 5);
  for (int i = 0; i < 5; ++i) CHECK(committer.was_committed(i));
}
