#pragma once
// Private to the run store: group commit. Writes that must be durable before their caller goes
// on (an accepted webhook) cost one fsync each when committed one by one; writes that arrive
// while a commit is in progress wait for it and are then committed together, in one transaction
// and one fsync. Each caller still returns only once its own write has been committed.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace turnout::agent::detail {

/// Batches the items that several threads submit at about the same time. The first to arrive
/// commits alone; those arriving meanwhile queue up, and the first of them commits the whole
/// queue once the commit in progress is over. One commit runs at a time; a caller never commits
/// another's batch after its own, so it waits for at most the commit in progress and then its own.
/// Each waiting caller is woken once, when its item is committed or when its turn to commit has
/// come: waking them all at every commit (a condition variable's notify_all) made each commit a
/// stampede on the mutex under a flood of webhooks. A caller waits on its own condition variable,
/// not a std::binary_semaphore: libstdc++'s semaphore spins on sched_yield before it sleeps, and
/// with 32 handler threads on two cores that spinning was 9% of the agent's CPU in a flood.
template <typename Item, typename Outcome>
class GroupCommit {
 public:
  /// One submitted item and, once its batch is committed, its outcome.
  struct Entry {
    const Item& item;                  ///< the caller's; lives until the caller returns
    std::optional<Outcome> outcome{};  ///< set by the committer
    bool done = false;                 ///< committed; written before the caller is woken
    std::mutex mutex{};                ///< guards `woken`
    std::condition_variable wake{};    ///< notified once: committed, or this caller's turn to commit
    bool woken = false;                ///< set, under `mutex`, by whoever wakes this caller

    /// Sleeps until woken (no spinning).
    void wait() {
      std::unique_lock lock(mutex);
      wake.wait(lock, [this] { return woken; });
    }

    /// Wakes the caller. Notified under the entry's lock: the caller cannot return (and end the
    /// entry, which lives on its stack) before this is over.
    void release() {
      const std::lock_guard lock(mutex);
      woken = true;
      wake.notify_one();
    }
  };
  /// Commits a batch, in submission order, and sets the outcome of every entry; must not throw.
  using Committer = std::function<void(const std::vector<Entry*>& batch)>;

  /// `commit` is called by one thread at a time, never under this object's lock.
  explicit GroupCommit(Committer commit) : commit_(std::move(commit)) {}

  /// Submits `item` and returns its outcome once the batch that held it is committed.
  Outcome submit(const Item& item) {
    Entry entry{item};
    std::unique_lock lock(mutex_);
    queue_.push_back(&entry);
    if (committing_) {
      lock.unlock();
      entry.wait();
      if (entry.done) return std::move(*entry.outcome);
      lock.lock();  // the committer before handed the turn to this caller: committing_ stays set
    }
    committing_ = true;
    std::vector<Entry*> batch;
    batch.swap(queue_);
    lock.unlock();
    commit_(batch);
    for (Entry* committed : batch) {
      if (committed == &entry) continue;
      committed->done = true;
      committed->release();  // its caller may return then: `committed` is not touched again
    }
    lock.lock();
    if (queue_.empty()) {
      committing_ = false;
    } else {
      queue_.front()->release();
    }
    lock.unlock();
    return std::move(*entry.outcome);
  }

 private:
  Committer commit_;
  std::mutex mutex_;
  std::vector<Entry*> queue_;  // submitted, not yet taken by a commit
  bool committing_ = false;    // a caller is committing, or has been handed the turn to
};

}  // namespace turnout::agent::detail
