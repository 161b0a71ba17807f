#pragma once
// The traffic feed's part of GET /metrics (README, "Metrics"): per app and slot, the requests,
// 5xx and latency since the agent started (counters and a histogram, for rate() and
// histogram_quantile()), the sliding window's figures (gauges, and its p50/p95/p99 as a
// summary's quantiles), and what became of the datagrams.

#include <chrono>
#include <string>
#include <vector>

#include "steps/deploy/traffic_feed.h"

namespace turnout::agent {

/// What the feed shows at one scrape.
struct FeedSample {
  bool listening = false;                         ///< the receiver runs
  std::chrono::milliseconds window{0};            ///< the window's span
  std::vector<steps::deploy::SlotTraffic> slots;  ///< every slot the feed saw
  steps::deploy::FeedCounts counts;               ///< the datagrams' fates
};

/// The feed's series in Prometheus' text format.
std::string render_feed_metrics(const FeedSample& sample);

}  // namespace turnout::agent
