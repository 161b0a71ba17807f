#include "steps/deploy/canary.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "steps/deploy/health_probe.h"

namespace turnout::steps::deploy {

namespace {

using Clock = std::chrono::steady_clock;

std::string percent(double share) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", share * 100);
  return text;
}

std::string seconds(double value) {
  char text[32];
  if (value < 1) {
    std::snprintf(text, sizeof text, "%.0f ms", value * 1000);
  } else {
    std::snprintf(text, sizeof text, "%.2f s", value);
  }
  return text;
}

std::string requests(std::uint64_t count) {
  return std::to_string(count) + (count == 1 ? " request" : " requests");
}

std::string p95_of(const Traffic& traffic) {
  const auto p95 = traffic.latency.quantile(0.95);
  return p95 ? ", p95 " + seconds(*p95) : std::string();
}

// How often a hold looks for a person's order (a file read): promote and abort answer within it.
constexpr util::Duration kOrderInterval{100};

// How a hold ended.
struct HoldEnd {
  enum Kind { held, unwell, cancelled, promoted, aborted } kind = held;
  std::string reason;  ///< unwell: why
};

// Holds for `wait`, probing the canary every `interval` and looking for an order in between.
HoldEnd hold(util::Duration wait, util::Duration interval, const CanaryHooks& hooks,
             const CancelToken& cancel) {
  const auto until = Clock::now() + wait;
  auto probe_at = Clock::now();
  for (;;) {
    if (const auto order = hooks.order ? hooks.order() : std::nullopt)
      return {*order == CanaryOrder::promote ? HoldEnd::promoted : HoldEnd::aborted, ""};
    if (Clock::now() >= probe_at) {
      if (auto unwell = hooks.unwell()) return {HoldEnd::unwell, *unwell};
      probe_at = Clock::now() + interval;
    }
    const auto now = Clock::now();
    if (now >= until) return {};
    const auto next = std::min({until, probe_at, now + kOrderInterval});
    if (!wait_unless_cancelled(std::chrono::ceil<util::Duration>(next - now), cancel))
      return {HoldEnd::cancelled, ""};
  }
}

// The steps' end for a hold that did not simply pass; nullopt when it did.
std::optional<CanaryEnd> ended(const HoldEnd& end, const std::string& at, Slot canary,
                               const std::function<void(const std::string&)>& log) {
  switch (end.kind) {
    case HoldEnd::held:
      return std::nullopt;
    case HoldEnd::unwell:
      return CanaryEnd{false, false, at + ": slot " + to_string(canary) + " " + end.reason};
    case HoldEnd::cancelled:
      return CanaryEnd{false, true, at + ": cancelled"};
    case HoldEnd::promoted:
      log(at + ": promoted by hand (turnout deploy promote): the rest of the steps skipped, 100% now");
      return CanaryEnd{true, false, ""};
    case HoldEnd::aborted:
      return CanaryEnd{false, false, at + ": aborted by hand (turnout deploy abort)"};
  }
  return std::nullopt;
}

}  // namespace

std::string canary_at(int weight) { return "canary at " + std::to_string(weight) + "%"; }

std::string describe_canary(Slot canary, const Traffic& on_canary, Slot live, const Traffic& on_live) {
  return "slot " + std::string(to_string(canary)) + " " + percent(on_canary.error_rate()) + " 5xx over " +
         requests(on_canary.requests) + p95_of(on_canary) + "; slot " + to_string(live) + " " +
         percent(on_live.error_rate()) + " 5xx over " + requests(on_live.requests) + p95_of(on_live);
}

std::optional<std::string> judge_canary(const pipeline::CanaryAnalysis& analysis, int weight, Slot canary,
                                        const Traffic& on_canary, Slot live, const Traffic& on_live) {
  const std::string head = canary_at(weight) + ": ";
  if (analysis.max_error_rate && on_canary.error_rate() > *analysis.max_error_rate) {
    return head + percent(on_canary.error_rate()) + " 5xx over " + requests(on_canary.requests) + " vs " +
           percent(on_live.error_rate()) + " on " + to_string(live) + " (max " +
           percent(*analysis.max_error_rate) + ")";
  }
  if (analysis.min_requests && on_canary.requests < static_cast<std::uint64_t>(*analysis.min_requests)) {
    return head + "only " + requests(on_canary.requests) + " reached slot " + to_string(canary) +
           " (min_requests " + std::to_string(*analysis.min_requests) + "; " + requests(on_live.requests) +
           " on " + to_string(live) + "): too few to judge it";
  }
  const auto mine = on_canary.latency.quantile(0.95);
  const auto theirs = on_live.latency.quantile(0.95);
  // A ratio needs both: without live traffic (a canary at 100%) there is nothing to compare with.
  if (analysis.max_latency_ratio && mine && theirs && *theirs > 0 &&
      *mine / *theirs > *analysis.max_latency_ratio) {
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%.2f", *mine / *theirs);
    char limit[32];
    std::snprintf(limit, sizeof limit, "%g", *analysis.max_latency_ratio);
    return head + "p95 latency " + seconds(*mine) + " over " + requests(on_canary.requests) + " vs " +
           seconds(*theirs) + " on " + to_string(live) + ": " + ratio + " times (max " + limit + ")";
  }
  return std::nullopt;
}

CanaryEnd run_canary_steps(const pipeline::Canary& canary, const CanaryWatch& watch, const CanaryHooks& hooks,
                           const CancelToken& cancel, const std::function<void(const std::string&)>& log) {
  const auto& analysis = canary.analysis;
  const bool thresholds = analysis.max_error_rate || analysis.max_latency_ratio || analysis.min_requests;
  const bool figures = thresholds && watch.feed != nullptr && watch.feed_off.empty();
  if (thresholds && !figures) {
    log("warning: the canary is judged by its probes only: " +
        (watch.feed_off.empty() ? std::string("no traffic feed here") : watch.feed_off));
  }
  const int steps = static_cast<int>(canary.steps.size());
  for (int index = 0; index < steps; ++index) {
    const auto& step = canary.steps[static_cast<std::size_t>(index)];
    const std::string at = canary_at(step.weight);
    if (auto journalled = hooks.journal(index + 1, step.weight); !journalled)
      return {false, false, at + ": cannot journal the step: " + journalled.error().message};
    if (auto weighted = hooks.set_weight(step.weight); !weighted)
      return {false, false, at + ": " + weighted.error().message};
    log("canary: slot " + std::string(to_string(watch.canary)) + " at " + std::to_string(step.weight) +
        "% for " + util::format_duration(step.hold) + " (step " + std::to_string(index + 1) + " of " +
        std::to_string(steps) + ", then 100%)");
    // The span judged: the end of the hold, the same for both slots.
    const util::Duration window = std::min(analysis.window.value_or(step.hold), step.hold);
    if (auto end =
            ended(hold(step.hold - window, watch.probe_interval, hooks, cancel), at, watch.canary, log))
      return *end;
    Traffic canary_before;
    Traffic live_before;
    if (figures) {
      canary_before = watch.feed->total(watch.app, watch.canary);
      live_before = watch.feed->total(watch.app, watch.live);
    }
    if (auto end = ended(hold(window, watch.probe_interval, hooks, cancel), at, watch.canary, log))
      return *end;
    if (!figures) {
      log(at + ": the probes passed throughout the hold");
      continue;
    }
    Traffic on_canary = watch.feed->total(watch.app, watch.canary);
    on_canary -= canary_before;
    Traffic on_live = watch.feed->total(watch.app, watch.live);
    on_live -= live_before;
    if (auto breach = judge_canary(analysis, step.weight, watch.canary, on_canary, watch.live, on_live))
      return {false, false, *breach};
    log(at + " passed over the last " + util::format_duration(window) + ": " +
        describe_canary(watch.canary, on_canary, watch.live, on_live));
  }
  return {true, false, ""};
}

}  // namespace turnout::steps::deploy
