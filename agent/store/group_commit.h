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
/// commits alone; those arriving meanwhile queue up, and the first of them to wake commits the
/// whole queue at once. One commit runs at a time; a caller never commits another's batch after
/// its own, so it waits for at most the commit in progress and then its own.
template <typename Item, typename Outcome>
class GroupCommit {
 public:
  /// One submitted item and, once its batch is committed, its outcome.
  struct Entry {
    const Item& item;                ///< the caller's; lives until the caller returns
    std::optional<Outcome> outcome;  ///< set by the committer
    bool done = false;               ///< the commit is over (guarded by the mutex)
  };
  /// Commits a batch, in submission order, and sets the outcome of every entry; must not throw.
  using Committer = std::function<void(const std::vector<Entry*>& batch)>;

  /// `commit` is called by one thread at a time, never under this object's lock.
  explicit GroupCommit(Committer commit) : commit_(std::move(commit)) {}

  /// Submits `item` and returns its outcome once the batch that held it is committed.
  Outcome submit(const Item& item) {
    Entry entry{item, std::nullopt};
    std::unique_lock lock(mutex_);
    queue_.push_back(&entry);
    while (!entry.done) {
      if (committing_) {
        finished_.wait(lock);
        continue;
      }
      committing_ = true;
      std::vector<Entry*> batch;
      batch.swap(queue_);
      lock.unlock();
      commit_(batch);
      lock.lock();
      for (Entry* committed : batch) committed->done = true;
      committing_ = false;
      finished_.notify_all();
    }
    return std::move(*entry.outcome);
  }

 private:
  Committer commit_;
  std::mutex mutex_;
  std::condition_variable finished_;
  std::vector<Entry*> queue_;  // submitted, not yet taken by a commit
  bool committing_ = false;
};

}  // namespace turnout::agent::detail
