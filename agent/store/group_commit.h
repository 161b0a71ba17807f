#pragma once
// Private to the run store: group commit. Writes that must be durable before their caller goes
// on (an accepted webhook) cost one fsync each when committed one by one; here one thread of its
// own commits everything submitted while it was busy with the commit before, in one transaction
// and one fsync. A caller either waits for its own write (submit) or hands over what to do once
// it is committed (submit_async) and goes on: the HTTP layer's I/O thread then answers a webhook
// without a thread of its own waiting on the disk, and the wake-ups are one per batch, not two
// per request (with a handler thread per request, context switches were a fifth of the agent's
// CPU under a flood).

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace turnout::agent::detail {

/// Batches the items that threads submit, and commits them on its own thread (started at the
/// first submission), one batch at a time, in submission order.
template <typename Item, typename Outcome>
class GroupCommit {
 public:
  /// One submitted item and, once its batch is committed, its outcome.
  struct Entry {
    Item item;                            ///< what was submitted
    std::optional<Outcome> outcome{};     ///< set by the committer
    std::function<void(Outcome)> done{};  ///< told the outcome, on the committing thread
  };
  /// Commits a batch, in submission order, and sets the outcome of every entry; must not throw.
  using Committer = std::function<void(const std::vector<Entry*>& batch)>;

  /// `commit` is called on this object's thread, never under its lock.
  explicit GroupCommit(Committer commit) : commit_(std::move(commit)) {}
  /// Commits what was submitted, then ends the thread.
  ~GroupCommit() {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_one();
    if (thread_.joinable()) thread_.join();
  }
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  /// Submits `item`; `done` is called with its outcome on the committing thread once the batch
  /// that held it is committed. `done` must not block for long (the next batch waits), and must
  /// not throw.
  void submit_async(Item item, std::function<void(Outcome)> done) {
    auto entry = std::make_unique<Entry>(Entry{std::move(item), std::nullopt, std::move(done)});
    {
      const std::lock_guard lock(mutex_);
      if (!thread_.joinable()) thread_ = std::thread([this] { commit_loop(); });
      queue_.push_back(std::move(entry));
    }
    ready_.notify_one();
  }

  /// Submits `item` and returns its outcome once the batch that held it is committed. Called
  /// from a `done` (the committing thread), it commits `item` alone at once: waiting for the
  /// committing thread there would wait for itself.
  Outcome submit(Item item) {
    if (std::this_thread::get_id() == committer_id_) {
      Entry entry{std::move(item)};
      commit_({&entry});
      return std::move(*entry.outcome);
    }
    std::promise<Outcome> promise;
    auto outcome = promise.get_future();
    submit_async(std::move(item), [&promise](Outcome committed) { promise.set_value(std::move(committed)); });
    return outcome.get();
  }

 private:
  void commit_loop() {
    ::pthread_setname_np(::pthread_self(), "store-commit");
    committer_id_ = std::this_thread::get_id();
    std::unique_lock lock(mutex_);
    for (;;) {
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything submitted is committed
      std::vector<std::unique_ptr<Entry>> taken;
      taken.swap(queue_);
      lock.unlock();
      std::vector<Entry*> batch;
      batch.reserve(taken.size());
      for (auto& entry : taken) batch.push_back(entry.get());
      commit_(batch);
      for (auto* entry : batch) entry->done(std::move(*entry->outcome));
      lock.lock();
    }
  }

  Committer commit_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<std::unique_ptr<Entry>> queue_;  // submitted, not yet taken by a commit
  bool stopping_ = false;
  std::atomic<std::thread::id> committer_id_{};  // the committing thread, once it runs
  std::thread thread_;
};

}  // namespace turnout::agent::detail
