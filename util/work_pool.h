#pragma once
// A bounded set of threads that run submitted jobs in order of arrival, with a bound on how many
// new jobs may wait: a server refuses work it cannot start soon (503) instead of queueing it
// without end, while a job that continues admitted work (the next piece of an answer) is never
// refused.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace turnout::util {

/// Threads taking jobs from one queue. Thread-safe. A job must not throw (one that does ends the
/// process, as an exception on any thread does).
class WorkPool {
 public:
  /// Up to `threads` threads (at least one), named `name` (as top and gdb show them), each started
  /// when a job finds no thread free, and kept: an idle server holds no stacks it has not needed
  /// (32 threads cost ~300 KiB of an idle agent's RSS). At most `max_waiting` jobs given to
  /// try_submit() wait for a thread at once (a job a free or new thread takes at once does not
  /// wait).
  WorkPool(const std::string& name, std::size_t threads, std::size_t max_waiting);
  /// stop().
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  /// Queues a new job; false (and `job` dropped) when max_waiting jobs already wait, after stop(),
  /// or when no thread has started and none can be.
  bool try_submit(std::function<void()> job);
  /// Queues a job that continues one already admitted: not bounded by max_waiting. False after
  /// stop(), or when no thread has started and none can be.
  bool submit(std::function<void()> job);
  /// Jobs waiting for a thread now.
  std::size_t waiting() const;
  /// Threads not running a job now, counting those not started yet.
  std::size_t idle() const;
  /// Refuses new jobs, runs the ones queued, and joins the threads. Idempotent.
  void stop();

 private:
  bool push(std::function<void()> job, bool bounded);
  /// Starts one more thread, under the lock; false when the system refused it.
  bool start_thread();
  void work();

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::string thread_name_;
  std::size_t max_waiting_;
  std::size_t size_ = 0;  // threads at most; threads_.size() are started
  std::size_t busy_ = 0;  // threads running a job: the others take a queued job at once, so it never waits
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace turnout::util
