#pragma once
// What nginx's feed tells of each app's traffic (README, "Traffic feed"): per app and slot, the
// requests, the 5xx answers and a latency histogram, over a sliding window (the last 60 s in 1 s
// buckets) and since the agent started. Fed one datagram at a time by the agent's receiver; read
// by /metrics, the app's JSON, and (later) a canary's analysis. Thread-safe.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "steps/deploy/feed_line.h"
#include "steps/deploy/slot.h"
#include "util/latency_histogram.h"
#include "util/sliding_window.h"
#include "util/udp_receiver.h"

namespace turnout::steps::deploy {

/// Requests of one slot over some time.
struct Traffic {
  std::uint64_t requests = 0;      ///< every request nginx sent to the slot (or tried to)
  std::uint64_t errors = 0;        ///< those answered 5xx (a slot that refused the connection: 502)
  util::LatencyHistogram latency;  ///< $upstream_response_time of those the slot answered

  /// Adds `other`'s figures to these.
  Traffic& operator+=(const Traffic& other);
  /// Takes away an earlier reading of the same totals: what came between the two.
  Traffic& operator-=(const Traffic& other);
  /// errors / requests (0 without requests).
  double error_rate() const;
};

/// One slot of one app, at a moment.
struct SlotTraffic {
  std::string app;         ///< the app's name
  Slot slot = Slot::blue;  ///< which slot
  Traffic window;          ///< over the window up to that moment
  Traffic total;           ///< since the feed started
};

/// What became of the datagrams so far.
struct FeedCounts {
  std::uint64_t accepted = 0;       ///< counted in an app's figures
  std::uint64_t malformed = 0;      ///< not of the format (or cut short): dropped
  std::uint64_t forged = 0;         ///< without the key, or not from 127.0.0.1: dropped
  std::uint64_t too_many_apps = 0;  ///< for an app beyond max_apps: dropped
  std::uint64_t dropped = 0;        ///< dropped by the kernel while the receiver was busy
};

/// How a TrafficFeed counts.
struct TrafficFeedOptions {
  std::string key;                           ///< the data folder's feed key (FeedEndpoint)
  std::chrono::milliseconds window{60'000};  ///< the sliding window's span
  std::chrono::milliseconds bucket{1'000};   ///< and its resolution
  std::size_t max_apps = 256;                ///< apps counted; lines for more are dropped
};

/// The per-app, per-slot figures of the feed.
class TrafficFeed {
 public:
  /// The clock the window's time points come from (the caller passes `now`: tests drive it).
  using Clock = std::chrono::steady_clock;

  /// An empty feed for `options.key`.
  explicit TrafficFeed(TrafficFeedOptions options);

  /// Counts one datagram that arrived at `now`: parsed strictly (parse_feed_line), forged when
  /// not from 127.0.0.1, malformed when cut short; `info.dropped` (the kernel's count) is kept.
  FeedVerdict take(std::string_view datagram, const util::DatagramInfo& info, Clock::time_point now);

  /// `app`'s `slot` over the window up to `now` (empty when the feed never saw it).
  Traffic window(const std::string& app, Slot slot, Clock::time_point now) const;
  /// `app`'s `slot` over the window up to `now` in `parts` equal stretches, oldest first
  /// (SlidingWindow::series; all empty when the feed never saw it): the last minute as a series.
  std::vector<Traffic> series(const std::string& app, Slot slot, Clock::time_point now,
                              std::size_t parts) const;
  /// `app`'s `slot` since the feed started (empty when it never saw it): only grows, so the
  /// difference of two readings is what came between them, however long ago the first was.
  Traffic total(const std::string& app, Slot slot) const;
  /// Every slot the feed saw, by app then slot, with its window up to `now` and its totals.
  std::vector<SlotTraffic> figures(Clock::time_point now) const;
  /// The datagrams' fates so far.
  FeedCounts counts() const;
  /// The window's span.
  std::chrono::milliseconds window_span() const { return options_.window; }

 private:
  struct SlotFigures {
    util::SlidingWindow<Traffic> window;
    Traffic total;
  };
  using AppFigures = std::map<Slot, SlotFigures>;

  void count(const FeedLine& line, Clock::time_point now);
  // `app`'s `slot`, or null when never seen; the caller holds mutex_.
  const SlotFigures* find(const std::string& app, Slot slot) const;

  TrafficFeedOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, AppFigures, std::less<>> apps_;
  FeedCounts counts_;
};

/// The traffic feed a deploy may read (the agent's), or why there is none: `turnout run` alone
/// does not receive it, or the agent's receiver is down. Without one, verify has only its probes.
struct FeedAccess {
  const TrafficFeed* feed = nullptr;  ///< none: no real traffic to judge
  std::string why_not;                ///< why there is none, for the run log ("" when there is one)
};

}  // namespace turnout::steps::deploy
