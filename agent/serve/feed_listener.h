#pragma once
// The traffic feed's receiving end in `turnout serve` (README, "Traffic feed"): the data
// folder's feed endpoint, a UDP receiver on its port, and the figures it counts into. Never in
// the way of serving: when the endpoint cannot be made or the port cannot be bound, the agent
// serves on without the feed and says why (nginx then only fails to send, it never waits).
// It logs nothing itself: `turnout serve` says what problem() holds once it is up (a start that
// fails for another reason prints that reason alone).

#include <memory>
#include <string>

#include "steps/deploy/traffic_feed.h"
#include "util/udp_receiver.h"

namespace turnout::agent {

/// The feed's receiver and figures, for as long as the agent serves.
class FeedListener {
 public:
  /// Reads or makes DATA/nginx/feed.endpoint and listens on its port; when either fails,
  /// listening() is false and problem() says why.
  explicit FeedListener(const std::string& data_dir);
  /// Stops receiving.
  ~FeedListener();
  FeedListener(const FeedListener&) = delete;
  FeedListener& operator=(const FeedListener&) = delete;

  /// The figures (empty when the feed is down).
  const steps::deploy::TrafficFeed& feed() const { return *feed_; }
  /// Whether the receiver runs.
  bool listening() const { return receiver_ != nullptr; }
  /// The UDP port it listens on (0 when it does not).
  int port() const { return receiver_ ? receiver_->port() : 0; }
  /// Why the feed is off, with what to do ("" while it listens).
  const std::string& problem() const { return problem_; }
  /// The figures for a deploy's verify while the receiver runs; else none, and why.
  steps::deploy::FeedAccess access() const {
    if (listening()) return {feed_.get(), ""};
    return {nullptr, "the agent's traffic feed is off: " + problem_};
  }

 private:
  std::unique_ptr<steps::deploy::TrafficFeed> feed_;
  std::unique_ptr<util::UdpReceiver> receiver_;
  std::string problem_;
};

}  // namespace turnout::agent
