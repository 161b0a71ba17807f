#include "steps/deploy/traffic_feed.h"

#include <algorithm>

namespace turnout::steps::deploy {

Traffic& Traffic::operator+=(const Traffic& other) {
  requests += other.requests;
  errors += other.errors;
  latency += other.latency;
  return *this;
}

Traffic& Traffic::operator-=(const Traffic& other) {
  requests -= std::min(requests, other.requests);
  errors -= std::min(errors, other.errors);
  latency -= other.latency;
  return *this;
}

double Traffic::error_rate() const {
  return requests == 0 ? 0.0 : static_cast<double>(errors) / static_cast<double>(requests);
}

TrafficFeed::TrafficFeed(TrafficFeedOptions options) : options_(std::move(options)) {}

FeedVerdict TrafficFeed::take(std::string_view datagram, const util::DatagramInfo& info,
                              Clock::time_point now) {
  // Parsed before the lock: a flood of bad datagrams does not hold the readers up.
  auto parsed = info.truncated ? ParsedFeedLine{FeedVerdict::malformed, {}, "too long"}
                               : parse_feed_line(datagram, options_.key);
  if (parsed.verdict == FeedVerdict::accepted && !info.from_loopback) parsed.verdict = FeedVerdict::forged;
  std::lock_guard lock(mutex_);
  counts_.dropped = std::max<std::uint64_t>(counts_.dropped, info.dropped);
  switch (parsed.verdict) {
    case FeedVerdict::accepted:
      count(parsed.line, now);
      break;
    case FeedVerdict::malformed:
      ++counts_.malformed;
      break;
    case FeedVerdict::forged:
      ++counts_.forged;
      break;
  }
  return parsed.verdict;
}

void TrafficFeed::count(const FeedLine& line, Clock::time_point now) {
  auto app = apps_.find(line.app);
  if (app == apps_.end()) {
    if (apps_.size() >= options_.max_apps) {
      ++counts_.too_many_apps;
      return;
    }
    app = apps_.emplace(std::string(line.app), AppFigures{}).first;
  }
  auto slot = app->second.find(line.slot);
  if (slot == app->second.end())
    slot = app->second.emplace(line.slot, SlotFigures{{options_.window, options_.bucket}, {}}).first;
  Traffic one;
  one.requests = 1;
  one.errors = line.status >= 500 ? 1 : 0;
  if (line.upstream_seconds) one.latency.add(*line.upstream_seconds);
  slot->second.window.at(now) += one;
  slot->second.total += one;
  ++counts_.accepted;
}

const TrafficFeed::SlotFigures* TrafficFeed::find(const std::string& app, Slot slot) const {
  const auto found = apps_.find(app);
  if (found == apps_.end()) return nullptr;
  const auto figures = found->second.find(slot);
  return figures == found->second.end() ? nullptr : &figures->second;
}

Traffic TrafficFeed::window(const std::string& app, Slot slot, Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  const auto* figures = find(app, slot);
  return figures == nullptr ? Traffic{} : figures->window.total(now);
}

std::vector<Traffic> TrafficFeed::series(const std::string& app, Slot slot, Clock::time_point now,
                                         std::size_t parts) const {
  std::lock_guard lock(mutex_);
  const auto* figures = find(app, slot);
  if (figures != nullptr) return figures->window.series(now, parts);
  // The same stretches as a window's, empty.
  const auto buckets =
      options_.bucket.count() > 0 ? static_cast<std::size_t>(options_.window / options_.bucket) : 1;
  return std::vector<Traffic>(std::clamp<std::size_t>(parts, 1, std::max<std::size_t>(1, buckets)));
}

Traffic TrafficFeed::total(const std::string& app, Slot slot) const {
  std::lock_guard lock(mutex_);
  const auto* figures = find(app, slot);
  return figures == nullptr ? Traffic{} : figures->total;
}

std::vector<SlotTraffic> TrafficFeed::figures(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  std::vector<SlotTraffic> all;
  for (const auto& [app, slots] : apps_) {
    for (const auto& [slot, figures] : slots)
      all.push_back({app, slot, figures.window.total(now), figures.total});
  }
  return all;
}

FeedCounts TrafficFeed::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

}  // namespace turnout::steps::deploy
