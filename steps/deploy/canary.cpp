#include "steps/deploy/canary.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>

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
  enum Kind { held, unwell, cancelled, promoted, aborted, breached } kind = held;
  std::string reason;  ///< unwell and breached: why
};

// Looks at the canary's figures while it holds: the reason of a breach, nullopt while none.
using HoldLook = std::function<std::optional<std::string>()>;

// Holds for `wait`, probing the canary every `interval`, and looking for an order and at its
// figures (`look`) in between.
HoldEnd hold(util::Duration wait, util::Duration interval, const CanaryHooks& hooks, const HoldLook& look,
             const CancelToken& cancel) {
  const auto until = Clock::now() + wait;
  auto probe_at = Clock::now();
  for (;;) {
    if (const auto order = hooks.order ? hooks.order() : std::nullopt)
      return {*order == CanaryOrder::promote ? HoldEnd::promoted : HoldEnd::aborted, ""};
    if (auto breach = look()) return {HoldEnd::breached, *breach};
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
    case HoldEnd::breached:
      return CanaryEnd{false, false, end.reason};
  }
  return std::nullopt;
}

// Both slots' running totals read as a hold goes on, so that the last `window` of it can be
// judged at any moment: a breach is seen within the window (and a reading), not only at the end
// of a long hold. At most ~300 readings are kept whatever the window.
class RollingWindow {
 public:
  RollingWindow(const CanaryWatch& watch, util::Duration window)
      : watch_(watch), window_(window), every_(std::max(util::Duration(1000), window / 300)) {}

  // The traffic of both slots over the last window (nullopt until the step has held that long):
  // the readings now and the latest at or before `window` ago.
  std::optional<std::pair<Traffic, Traffic>> last_window() {
    const auto now = Clock::now();
    if (readings_.empty() || now - readings_.back().at >= every_) readings_.push_back(read(now));
    const auto start = now - window_;
    while (readings_.size() >= 2 && readings_[1].at <= start) readings_.pop_front();
    if (readings_.front().at > start) return std::nullopt;
    Reading current = read(now);
    current.canary -= readings_.front().canary;
    current.live -= readings_.front().live;
    return std::pair{current.canary, current.live};
  }

 private:
  struct Reading {
    Clock::time_point at;
    Traffic canary;
    Traffic live;
  };

  Reading read(Clock::time_point now) const {
    return {now, watch_.feed->total(watch_.app, watch_.canary), watch_.feed->total(watch_.app, watch_.live)};
  }

  const CanaryWatch& watch_;
  util::Duration window_;
  util::Duration every_;
  std::deque<Reading> readings_;
};

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
    // The span judged: the end of the hold, the same for both slots; while it holds, each
    // reading judges the last span as well (but for min_requests, which only the end can judge).
    const util::Duration window = std::min(analysis.window.value_or(step.hold), step.hold);
    RollingWindow rolling(watch, window);
    const auto step_began = Clock::now();
    const HoldLook look = [&]() -> std::optional<std::string> {
      if (!figures) return std::nullopt;
      const auto last = rolling.last_window();
      if (!last) return std::nullopt;
      if (analysis.min_requests && last->first.requests < static_cast<std::uint64_t>(*analysis.min_requests))
        return std::nullopt;
      auto early = analysis;
      early.min_requests.reset();
      auto breach = judge_canary(early, step.weight, watch.canary, last->first, watch.live, last->second);
      if (breach)
        log(at + ": breach seen " +
            util::format_duration(std::chrono::duration_cast<util::Duration>(Clock::now() - step_began)) +
            " into the hold of " + util::format_duration(step.hold) + ", over the last " +
            util::format_duration(window));
      return breach;
    };
    if (auto end =
            ended(hold(step.hold - window, watch.probe_interval, hooks, look, cancel), at, watch.canary, log))
      return *end;
    Traffic canary_before;
    Traffic live_before;
    if (figures) {
      canary_before = watch.feed->total(watch.app, watch.canary);
      live_before = watch.feed->total(watch.app, watch.live);
    }
    if (auto end = ended(hold(window, watch.probe_interval, hooks, look, cancel), at, watch.canary, log))
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
