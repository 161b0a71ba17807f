#include "agent/store/group_commit.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
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

namespace {

// A syncer that holds each sync until the test lets it go, and remembers what it synced.
struct HeldSyncer {
  std::mutex mutex;
  std::condition_variable changed;
  std::set<int> synced;
  int syncs_started = 0;
  int syncs_allowed = 0;
  bool failing = false;

  void sync(const std::vector<GroupCommit<int, int>::Entry*>& committed) {
    std::unique_lock lock(mutex);
    const int mine = ++syncs_started;
    changed.notify_all();
    changed.wait(lock, [&] { return syncs_allowed >= mine; });
    for (auto* entry : committed) {
      synced.insert(entry->item);
      if (failing) entry->outcome = -1;
    }
  }
  void wait_for_syncs(int count) {
    std::unique_lock lock(mutex);
    REQUIRE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return syncs_started >= count; }));
  }
  void allow(int count) {
    const std::lock_guard lock(mutex);
    syncs_allowed = count;
    changed.notify_all();
  }
  bool was_synced(int item) {
    const std::lock_guard lock(mutex);
    return synced.count(item) == 1;
  }
};

}  // namespace

TEST_CASE(
    "group commit: with a syncer, the next batch is committed while the one before is synced, and each "
    "outcome is told only after its sync",
    "[unit][store]") {
  std::mutex mutex;
  std::set<int> committed;
  HeldSyncer syncer;
  GroupCommit<int, int> group(
      [&](const auto& batch) {
        const std::lock_guard lock(mutex);
        for (auto* entry : batch) {
          entry->outcome = entry->item * 10;
          committed.insert(entry->item);
        }
      },
      [&](const auto& entries) { syncer.sync(entries); });
  std::mutex told_mutex;
  std::vector<int> outcomes;
  std::vector<int> synced_when_told;
  std::set<std::thread::id> told_on;
  std::promise<void> all_told;
  auto submit = [&](int item) {
    group.submit_async(item, [&, item](int outcome) {
      const bool synced = syncer.was_synced(item);
      const std::lock_guard lock(told_mutex);
      outcomes.push_back(outcome);
      synced_when_told.push_back(synced ? 1 : 0);
      told_on.insert(std::this_thread::get_id());
      if (outcomes.size() == 3) all_told.set_value();
    });
  };
  submit(1);
  syncer.wait_for_syncs(1);  // item 1 is committed, and its sync is held
  submit(2);
  submit(3);
  // Committed while the sync before them is still held: the committing thread did not wait.
  for (int tries = 0; tries < 1000; ++tries) {
    {
      const std::lock_guard lock(mutex);
      if (committed.size() == 3) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  {
    const std::lock_guard lock(mutex);
    CHECK(committed == std::set<int>{1, 2, 3});
  }
  {
    const std::lock_guard lock(told_mutex);
    CHECK(outcomes.empty());  // nothing is told before its sync
  }
  syncer.allow(2);  // the held sync, then one sync for both batches committed meanwhile
  REQUIRE(all_told.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  const std::lock_guard lock(told_mutex);
  CHECK(outcomes == std::vector<int>{10, 20, 30});
  CHECK(synced_when_told == std::vector<int>{1, 1, 1});
  CHECK(told_on.size() == 1);
  const std::lock_guard syncer_lock(syncer.mutex);
  CHECK(syncer.syncs_started == 2);
}

TEST_CASE("group commit: an outcome the syncer set (a failed sync) is the one its caller gets",
          "[unit][store]") {
  HeldSyncer syncer;
  syncer.failing = true;
  syncer.allow(100);
  GroupCommit<int, int> group(
      [](const auto& batch) {
        for (auto* entry : batch) entry->outcome = entry->item;
      },
      [&](const auto& entries) { syncer.sync(entries); });
  CHECK(group.submit(7) == -1);
  CHECK(syncer.was_synced(7));
}

TEST_CASE("group commit: with a syncer, a submission from a caller's callback commits and syncs at once",
          "[unit][store]") {
  HeldSyncer syncer;
  syncer.allow(100);
  GroupCommit<int, int> group(
      [](const auto& batch) {
        for (auto* entry : batch) entry->outcome = entry->item * 10;
      },
      [&](const auto& entries) { syncer.sync(entries); });
  std::promise<int> nested;
  group.submit_async(1, [&](int) { nested.set_value(group.submit(2)); });
  auto outcome = nested.get_future();
  REQUIRE(outcome.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(outcome.get() == 20);
  CHECK(syncer.was_synced(2));
}

TEST_CASE("group commit: with a syncer, what was submitted is committed and synced before the object goes",
          "[unit][store]") {
  HeldSyncer syncer;
  syncer.allow(100);
  std::atomic<int> told{0};
  {
    GroupCommit<int, int> group(
        [](const auto& batch) {
          for (auto* entry : batch) entry->outcome = 0;
        },
        [&](const auto& entries) { syncer.sync(entries); });
    for (int i = 0; i < 5; ++i) group.submit_async(i, [&](int) { ++told; });
  }
  CHECK(told == 5);
  for (int i = 0; i < 5; ++i) CHECK(syncer.was_synced(i));
}

TEST_CASE(
    "group commit: with a syncer, what a callback submits while the object goes is committed and told too",
    "[unit][store]") {
  HeldSyncer syncer;
  std::atomic<int> told{0};
  std::set<int> committed;  // written by the committing thread, read once it has ended
  std::jthread release;
  {
    GroupCommit<int, int> group(
        [&](const auto& batch) {
          for (auto* entry : batch) {
            entry->outcome = entry->item;
            committed.insert(entry->item);
          }
        },
        [&](const auto& entries) { syncer.sync(entries); });
    group.submit_async(1, [&](int) {
      ++told;
      group.submit_async(2, [&](int) { ++told; });
    });
    syncer.wait_for_syncs(1);
    // Item 1's sync is let go only once the committing thread has had time to end: its
    // callback then submits to an object whose committing thread is gone.
    release = std::jthread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      syncer.allow(100);
    });
  }
  CHECK(told == 2);
  CHECK(committed == std::set<int>{1, 2});
  CHECK(syncer.was_synced(2));
}
