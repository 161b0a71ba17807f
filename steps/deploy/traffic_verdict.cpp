#include "steps/deploy/traffic_verdict.h"

#include <cstdio>

namespace turnout::steps::deploy {

namespace {

double share(const TrafficSince& since) {
  return since.requests == 0 ? 0.0 : static_cast<double>(since.errors) / static_cast<double>(since.requests);
}

// "7.5% 5xx over 40 requests on green since the switch (max 1%)".
std::string figures(const pipeline::TrafficCheck& check, const TrafficSince& since, Slot slot) {
  char observed[32];
  std::snprintf(observed, sizeof observed, "%.1f%%", share(since) * 100.0);
  return std::string(observed) + " 5xx over " + std::to_string(since.requests) +
         (since.requests == 1 ? " request" : " requests") + " on " + to_string(slot) +
         " since the switch (max " + percent_text(check.max_error_rate) + ")";
}

}  // namespace

TrafficSince traffic_between(const Traffic& before, const Traffic& after) {
  // Totals only grow; a feed that restarted in between (smaller totals) counts from zero.
  const auto minus = [](std::uint64_t later, std::uint64_t earlier) {
    return later >= earlier ? later - earlier : later;
  };
  return {minus(after.requests, before.requests), minus(after.errors, before.errors)};
}

std::optional<std::string> traffic_breach(const pipeline::TrafficCheck& check, const TrafficSince& since,
                                          Slot slot) {
  if (since.requests < static_cast<std::uint64_t>(check.min_requests)) return std::nullopt;
  if (share(since) <= check.max_error_rate) return std::nullopt;
  return "verify: " + figures(check, since, slot);
}

std::string traffic_summary(const pipeline::TrafficCheck& check, const TrafficSince& since, Slot slot) {
  if (since.requests < static_cast<std::uint64_t>(check.min_requests)) {
    return "verify: " + std::to_string(since.requests) + (since.requests == 1 ? " request" : " requests") +
           " on " + to_string(slot) + " since the switch, fewer than min_requests (" +
           std::to_string(check.min_requests) + "): the probes alone decided";
  }
  return "verify: " + figures(check, since, slot) + ": passed";
}

std::string percent_text(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g%%", fraction * 100.0);
  return text;
}

}  // namespace turnout::steps::deploy
