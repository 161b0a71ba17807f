#pragma once
// The agent's workers (ARCHITECTURE.md, "Data flow": queue -> workers): `workers` threads take queued
// runs off the store, oldest first, never two of one repository and branch at once; a newer
// push replaces a running `cancel-in-progress` run; SIGTERM lets running steps go on for a
// grace period, then stops them and queues their commits again.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/config/agent_config.h"
#include "agent/metrics/metrics.h"
#include "agent/report/reporting.h"
#include "agent/run/run_control.h"
#include "agent/store/run_store.h"

namespace turnout::agent {

/// What stop_run() did.
enum class StopAnswer {
  stopping,      ///< the run is being cancelled
  after_deploy,  ///< it will stop when its deploy stage has ended
  not_here,      ///< this agent is not running it
};

/// Runs the agent's queue with a fixed set of worker threads.
class Scheduler {
 public:
  /// `config`, `store`, `metrics` and `reporting` (null: nothing is reported) must outlive the
  /// scheduler. Nothing runs before start().
  Scheduler(const AgentConfig& config, RunStore& store, Metrics& metrics, Reporting* reporting = nullptr);
  /// shutdown() with no grace, if it was not called.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// Starts config.workers threads.
  void start();
  /// A run was queued: wakes a worker and, when `may_preempt`, stops the running
  /// `cancel-in-progress` runs it replaces. A push passes false when its branch's pipeline is not
  /// `cancel-in-progress`: asking the store takes its lock once more per push, which cost the
  /// intake 10–30% of its throughput under a flood (BENCHMARKS.md, 2026-11-30).
  void notify_queued(bool may_preempt = true);
  /// Stops run `id` if a worker of this agent runs it, ending it as `ending` says.
  StopAnswer stop_run(std::int64_t id, const RunEnding& ending);
  /// Takes no more runs; lets the running ones go on for up to `grace`, then stops them (each
  /// ends `error: interrupted` and its commit is queued again); returns when every worker is done.
  /// Queued runs stay queued. Idempotent.
  void shutdown(std::chrono::milliseconds grace);

 private:
  void work();
  void run(const RunRecord& run, RunControl& control);
  void preempt();

  const AgentConfig& config_;
  RunStore& store_;
  Metrics& metrics_;
  Reporting* reporting_;
  std::mutex mutex_;
  std::condition_variable changed_;  // a run queued or ended, or stopping
  bool stopping_ = false;
  std::map<std::int64_t, std::shared_ptr<RunControl>> running_;
  std::vector<std::thread> workers_;
};

}  // namespace turnout::agent
