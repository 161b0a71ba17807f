#pragma once
// The canary's steps (README, "Canary deploys"): after its health checks the new slot gets each
// weight in turn; each hold ends with a judgement of its traffic against the live slot's over the
// same span (the agent's traffic feed: error rate, p95 latency, requests), and a canary that
// breaches a threshold, gets too few requests, or dies is sent back to 0% with the figures in the
// reason. The deploy around it (blue_green.cpp) journals each step, promotes to 100% by its
// switch, and undoes a failed canary. Without the feed the canary is judged by its probes only.

#include <functional>
#include <optional>
#include <string>

#include "pipeline/pipeline.h"
#include "steps/cancel_token.h"
#include "steps/deploy/canary_order.h"
#include "steps/deploy/slot.h"
#include "steps/deploy/traffic_feed.h"
#include "util/result.h"

namespace turnout::steps::deploy {

/// A step's share of the traffic, for a person: "canary at 10%".
std::string canary_at(int weight);

/// Judges one step: the canary's and the live slot's traffic over the same span. The reason the
/// canary fails (`canary at 10%: 4.1% 5xx over 312 requests vs 0.0% on blue (max 1%)`), or
/// nullopt when it passes every threshold `analysis` sets.
std::optional<std::string> judge_canary(const pipeline::CanaryAnalysis& analysis, int weight, Slot canary,
                                        const Traffic& on_canary, Slot live, const Traffic& on_live);

/// The figures of one step for the log: "0.0% 5xx over 312 requests, p95 12 ms vs 0.0% over
/// 2809 requests, p95 11 ms on blue".
std::string describe_canary(Slot canary, const Traffic& on_canary, Slot live, const Traffic& on_live);

/// What the canary's steps act through (the deploy in progress).
struct CanaryHooks {
  /// Journals step `step` (1-based) at `weight` before it starts.
  std::function<util::Status(int step, int weight)> journal;
  /// Gives the canary slot `weight` percent of the traffic; returns once the proxy does.
  std::function<util::Status(int weight)> set_weight;
  /// Why the canary slot is dead or unhealthy now; nullopt while it is well.
  std::function<std::optional<std::string>()> unwell;
  /// A person's order waiting for the canary (canary_order.h), taken as it is read; may be empty.
  std::function<std::optional<CanaryOrder>()> order{};
};

/// Where the canary runs and what watches it.
struct CanaryWatch {
  std::string app;                      ///< the app (the feed's figures are by app and slot)
  Slot canary = Slot::green;            ///< the new version's slot
  Slot live = Slot::blue;               ///< the live slot
  util::Duration probe_interval{1000};  ///< how often the canary is probed during a hold
  const TrafficFeed* feed = nullptr;    ///< the agent's figures; none: probes only
  std::string feed_off;                 ///< why there are no figures to judge by ("" when there are)
};

/// How the steps ended.
struct CanaryEnd {
  bool passed = false;     ///< every step passed: promote to 100%
  bool cancelled = false;  ///< the cancel token stopped it
  std::string reason;      ///< why not, with the figures ("" when passed)
};

/// Runs the steps of `canary`: for each, journal, set its weight, hold (probing the canary every
/// probe interval, looking for a person's order several times a second, and, with the feed,
/// judging the last `analysis.window` of the hold at each reading but for `min_requests`, so that
/// a breach ends the hold early), judge the end of the hold. Stops at the first
/// step that fails or an order to abort (the caller sends the canary back to 0%); an order to
/// promote ends the steps as passed, the rest skipped.
CanaryEnd run_canary_steps(const pipeline::Canary& canary, const CanaryWatch& watch, const CanaryHooks& hooks,
                           const CancelToken& cancel, const std::function<void(const std::string&)>& log);

}  // namespace turnout::steps::deploy
