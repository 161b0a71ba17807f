#pragma once
// GET /metrics in Prometheus' text exposition format (version 0.0.4): the store's counts
// (deliveries by result, runs by status, queue depth, pending reports), the duration of the runs this agent
// ran, and build info.

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/store/store_stats.h"
#include "util/process_stats.h"

namespace turnout::agent {

/// `value` as a label value of the text format: backslash, quote and newline escaped.
std::string escape_label_value(const std::string& value);

/// One slot of a deployed app at a scrape.
struct SlotSample {
  std::string app;       ///< the app's name
  std::string slot;      ///< blue or green
  bool live = false;     ///< the proxy's slot, as the app's state says
  bool alive = false;    ///< its process runs (an outside supervisor's: it was started)
  bool healthy = false;  ///< it answered one health probe now
  /// What its processes (its session) use now; none when it does not run or an outside
  /// supervisor runs it (turnout knows no process of it then).
  std::optional<util::ProcessStats> usage = std::nullopt;
  /// Its share of the app's traffic in percent (a canary's weight); none when the proxy points nowhere.
  std::optional<int> weight = std::nullopt;
};

/// The run duration histogram, fed by the workers; the rest is read from the store per scrape.
class Metrics {
 public:
  /// Upper bounds of the duration buckets, in seconds: CI runs take seconds to an hour.
  static constexpr std::array<double, 10> kBuckets{1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};

  /// Counts a run that ended after `seconds` (from being taken off the queue to its end).
  void observe_run(double seconds);
  /// Counts a webhook answered `status` (400, 401, 413, 500) that the store did not record.
  void count_rejected(int status);
  /// Counts an attempt to send a report: `sent`, `failed` (to be tried again) or `dropped`.
  void count_report(const std::string& result);
  /// The whole exposition: `stats` (read from the store), each app's `slots`, and what this
  /// object has counted.
  std::string render(const StoreStats& stats, const std::vector<SlotSample>& slots = {}) const;

 private:
  mutable std::mutex mutex_;
  std::array<std::uint64_t, kBuckets.size()> buckets_{};  // not cumulative; render() sums them
  // Every code the README lists has a series from the start: an alert on its rate needs one.
  std::map<int, std::uint64_t> rejected_{{400, 0}, {401, 0}, {408, 0}, {413, 0},
                                         {431, 0}, {500, 0}, {503, 0}};
  std::map<std::string, std::uint64_t> reports_{{"dropped", 0}, {"failed", 0}, {"sent", 0}};
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace turnout::agent
