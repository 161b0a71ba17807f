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
    committing_.end();
    syncing_.end();
    // What a syncer's callback submitted after the committing thread had ended: done here.
    for (auto taken = committing_.take_all(); !taken.empty(); taken = committing_.take_all()) {
      const auto entries = pointers(taken);
      commit_and_sync(entries);
      tell(entries);
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
      const std::lock_guard lock(committing_.mutex);
      if (!committing_.thread.joinable() && !committing_.stopping) start_threads();
      committing_.queue.push_back(std::move(entry));
    }
    committing_.ready.notify_one();
  }

  /// Submits `item` and returns its outcome once the batch that held it is committed (and
  /// synced). Called from a `done` (or from a commit), it commits `item` alone at once:
  /// waiting for this object's threads there would wait for itself.
  Outcome submit(Item item) {
    const auto self = std::this_thread::get_id();
    if (self == committing_.id || self == syncing_.id) {
      Entry entry{std::move(item)};
      commit_and_sync({&entry});
      return std::move(*entry.outcome);
    }
    std::promise<Outcome> promise;
    auto outcome = promise.get_future();
    submit_async(std::move(item), [&promise](Outcome committed) { promise.set_value(std::move(committed)); });
    return outcome.get();
  }

 private:
  using Entries = std::vector<std::unique_ptr<Entry>>;

  // One thread and the queue it takes its work from: the committing stage, and the syncing one.
  struct Stage {
    std::mutex mutex;
    std::condition_variable ready;
    Entries queue;  // handed to this stage, not yet taken
    bool stopping = false;
    std::atomic<std::thread::id> id{};  // the stage's thread, once it runs
    std::thread thread;

    void push(Entries entries) {
      {
        const std::lock_guard lock(mutex);
        for (auto& entry : entries) queue.push_back(std::move(entry));
      }
      ready.notify_one();
    }
    Entries take_all() {
      const std::lock_guard lock(mutex);
      return std::exchange(queue, {});
    }
    // On the stage's thread: gives `work` everything queued, all at once, until stopped with
    // nothing queued.
    template <typename Work>
    void serve(const char* name, Work work) {
      ::pthread_setname_np(::pthread_self(), name);
      id = std::this_thread::get_id();
      std::unique_lock lock(mutex);
      for (;;) {
        ready.wait(lock, [this] { return stopping || !queue.empty(); });
        if (queue.empty()) return;
        auto taken = std::exchange(queue, {});
        lock.unlock();
        work(std::move(taken));
        lock.lock();
      }
    }
    // Stops the stage once its queue is empty, and waits for its thread.
    void end() {
      {
        const std::lock_guard lock(mutex);
        stopping = true;
      }
      ready.notify_one();
      if (thread.joinable()) thread.join();
    }
  };

  static std::vector<Entry*> pointers(const Entries& entries) {
    std::vector<Entry*> raw;
    raw.reserve(entries.size());
    for (const auto& entry : entries) raw.push_back(entry.get());
    return raw;
  }

  static void tell(const std::vector<Entry*>& entries) {
    for (auto* entry : entries) entry->done(std::move(*entry->outcome));
  }

  // On the calling thread, for an entry that cannot wait for the stages.
  void commit_and_sync(const std::vector<Entry*>& entries) {
    commit_(entries);
    if (sync_) sync_(entries);
  }

  // Under committing_.mutex. The syncing thread first: the committing thread hands batches to it.
  void start_threads() {
    if (sync_ && !syncing_.thread.joinable()) {
      syncing_.thread = std::thread([this] {
        syncing_.serve("store-sync", [this](Entries committed) {
          const auto entries = pointers(committed);
          sync_(entries);
          tell(entries);
        });
      });
    }
    committing_.thread = std::thread([this] {
      committing_.serve("store-commit", [this](Entries taken) {
        const auto batch = pointers(taken);
        commit_(batch);
        if (sync_) return syncing_.push(std::move(taken));
        tell(batch);
      });
    });
  }

  Committer commit_;
  Syncer sync_;
  Stage committing_;  // submitted, waiting for a commit
  Stage syncing_;     // committed, waiting for a sync (with a syncer)
};

}  // namespace turnout::agent::detail
