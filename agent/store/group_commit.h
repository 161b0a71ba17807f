#pragma once
// Private to the run store: group commit. Writes that must be durable before their caller goes
// on (an accepted webhook) cost one fsync each when committed one by one; here one thread of its
// own commits everything submitted while it was busy with the commit before, in one transaction
// and one fsync. A caller either waits for its own write (submit) or hands over what to do once
// it is committed (submit_async) and goes on: the HTTP layer's I/O thread then answers a webhook
// without a thread of its own waiting on the disk, and the wake-ups are one per batch, not two
// per request (with a handler thread per request, context switches were a fifth of the agent's
// CPU under a flood).
//
// With a syncer, the fsync is a second stage on a thread of its own: the committing thread
// writes a batch (the transaction, not yet synced) and goes on to the next while the syncing
// thread makes the ones before durable, with one sync for all it finds waiting, and only then
// tells their outcomes. Timed under a flood (BENCHMARKS.md, bench/webhook), the sync and the
// outcomes' callbacks were more than half of a batch's time on the one thread.

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
  /// Makes durable everything committed so far, which holds `committed` (one or more batches,
  /// in order), and sets the outcome of each entry it could not; must not throw.
  using Syncer = std::function<void(const std::vector<Entry*>& committed)>;

  /// `commit` is called on this object's committing thread, `sync` (when given) on its syncing
  /// thread, never under its lock. Without `sync`, a batch is done once `commit` returns.
  explicit GroupCommit(Committer commit, Syncer sync = {})
      : commit_(std::move(commit)), sync_(std::move(sync)) {}
  /// Commits and syncs what was submitted, then ends the threads.
  ~GroupCommit() {
    end(mutex_, stopping_, ready_, thread_);
    end(sync_mutex_, sync_stopping_, committed_ready_, sync_thread_);
    // What a syncer's callback submitted after the committing thread had ended: done here.
    for (;;) {
      std::vector<std::unique_ptr<Entry>> taken;
      {
        const std::lock_guard lock(mutex_);
        taken.swap(queue_);
      }
      if (taken.empty()) return;
      const auto entries = pointers(taken);
      commit_(entries);
      if (sync_) sync_(entries);
      for (auto* entry : entries) entry->done(std::move(*entry->outcome));
    }
  }
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  /// Submits `item`; `done` is called with its outcome once the batch that held it is
  /// committed (and synced, with a syncer), on the thread that finished it. `done` must not
  /// block for long (the next batch waits), and must not throw.
  void submit_async(Item item, std::function<void(Outcome)> done) {
    auto entry = std::make_unique<Entry>(Entry{std::move(item), std::nullopt, std::move(done)});
    {
      const std::lock_guard lock(mutex_);
      if (!thread_.joinable() && !stopping_) start_threads();
      queue_.push_back(std::move(entry));
    }
    ready_.notify_one();
  }

  /// Submits `item` and returns its outcome once the batch that held it is committed (and
  /// synced). Called from a `done` (or from a commit), it commits `item` alone at once:
  /// waiting for this object's threads there would wait for itself.
  Outcome submit(Item item) {
    const auto self = std::this_thread::get_id();
    if (self == committer_id_ || self == syncer_id_) {
      Entry entry{std::move(item)};
      commit_({&entry});
      if (sync_) sync_({&entry});
      return std::move(*entry.outcome);
    }
    std::promise<Outcome> promise;
    auto outcome = promise.get_future();
    submit_async(std::move(item), [&promise](Outcome committed) { promise.set_value(std::move(committed)); });
    return outcome.get();
  }

 private:
  static std::vector<Entry*> pointers(const std::vector<std::unique_ptr<Entry>>& entries) {
    std::vector<Entry*> raw;
    raw.reserve(entries.size());
    for (const auto& entry : entries) raw.push_back(entry.get());
    return raw;
  }

  // Tells a loop to stop once its queue is empty, and waits for its thread.
  static void end(std::mutex& mutex, bool& stopping, std::condition_variable& wake, std::thread& thread) {
    {
      const std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_one();
    if (thread.joinable()) thread.join();
  }

  // Under mutex_. The syncing thread first: the committing thread hands batches to it.
  void start_threads() {
    if (sync_ && !sync_thread_.joinable()) sync_thread_ = std::thread([this] { sync_loop(); });
    thread_ = std::thread([this] { commit_loop(); });
  }

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
      const auto batch = pointers(taken);
      commit_(batch);
      if (sync_) {
        hand_to_syncer(std::move(taken));
      } else {
        for (auto* entry : batch) entry->done(std::move(*entry->outcome));
      }
      lock.lock();
    }
  }

  void hand_to_syncer(std::vector<std::unique_ptr<Entry>> committed) {
    {
      const std::lock_guard lock(sync_mutex_);
      for (auto& entry : committed) committed_.push_back(std::move(entry));
    }
    committed_ready_.notify_one();
  }

  // Syncs whatever the committing thread has handed over, all of it at once, then tells the
  // outcomes in submission order.
  void sync_loop() {
    ::pthread_setname_np(::pthread_self(), "store-sync");
    syncer_id_ = std::this_thread::get_id();
    std::unique_lock lock(sync_mutex_);
    for (;;) {
      committed_ready_.wait(lock, [this] { return sync_stopping_ || !committed_.empty(); });
      if (committed_.empty()) return;  // stopping, and everything committed is synced
      std::vector<std::unique_ptr<Entry>> taken;
      taken.swap(committed_);
      lock.unlock();
      const auto entries = pointers(taken);
      sync_(entries);
      for (auto* entry : entries) entry->done(std::move(*entry->outcome));
      lock.lock();
    }
  }

  Committer commit_;
  Syncer sync_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<std::unique_ptr<Entry>> queue_;  // submitted, not yet taken by a commit
  bool stopping_ = false;
  std::atomic<std::thread::id> committer_id_{};  // the committing thread, once it runs
  std::thread thread_;
  std::mutex sync_mutex_;
  std::condition_variable committed_ready_;
  std::vector<std::unique_ptr<Entry>> committed_;  // committed, not yet synced
  bool sync_stopping_ = false;
  std::atomic<std::thread::id> syncer_id_{};  // the syncing thread, once it runs
  std::thread sync_thread_;
};

}  // namespace turnout::agent::detail
