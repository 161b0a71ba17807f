#pragma once
// What blue-green's verify makes of the new slot's real traffic since the switch (README,
// "verify"): the share of 5xx among the requests nginx sent it, judged against
// `verify.max_error_rate` once there are `min_requests` of them.

#include <cstdint>
#include <optional>
#include <string>

#include "pipeline/pipeline.h"
#include "steps/deploy/slot.h"
#include "steps/deploy/traffic_feed.h"

namespace turnout::steps::deploy {

/// Requests and 5xx of one slot between two readings of the feed's totals.
struct TrafficSince {
  std::uint64_t requests = 0;  ///< requests nginx sent the slot
  std::uint64_t errors = 0;    ///< those answered 5xx
};

/// What came between `before` and `after`, two readings of a slot's totals (TrafficFeed::total).
TrafficSince traffic_between(const Traffic& before, const Traffic& after);

/// The breach, for a person, when `since` (on `slot`, since the switch) has at least
/// `check.min_requests` requests and a share of 5xx over `check.max_error_rate`:
/// `verify: 7.5% 5xx over 40 requests on green since the switch (max 1%)`; nullopt otherwise.
std::optional<std::string> traffic_breach(const pipeline::TrafficCheck& check, const TrafficSince& since,
                                          Slot slot);

/// What verify saw of the slot's traffic, for the log once it passed: the figures, or that there
/// were too few requests to judge (the probes alone decided).
std::string traffic_summary(const pipeline::TrafficCheck& check, const TrafficSince& since, Slot slot);

/// A fraction as a percentage for a person: 0.075 -> "7.5%", 0.01 -> "1%", 0.0025 -> "0.25%".
std::string percent_text(double fraction);

}  // namespace turnout::steps::deploy
