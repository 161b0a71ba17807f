#include "agent/serve/feed_listener.h"

#include "steps/deploy/feed_endpoint.h"

namespace turnout::agent {

namespace deploy = steps::deploy;

FeedListener::FeedListener(const std::string& data_dir) {
  const auto endpoint = deploy::feed_endpoint(data_dir);
  feed_ = std::make_unique<deploy::TrafficFeed>(
      deploy::TrafficFeedOptions{endpoint ? endpoint.value().key : std::string()});
  if (!endpoint) {
    problem_ = endpoint.error().message;
    return;
  }
  util::UdpReceiverOptions options;
  options.port = endpoint.value().port;
  options.max_datagram = deploy::kMaxFeedLine + 1;  // one byte more: a longer line is seen as such
  auto receiver = util::UdpReceiver::start(options, [feed = feed_.get()](auto datagram, const auto& info) {
    feed->take(datagram, info, deploy::TrafficFeed::Clock::now());
  });
  if (!receiver) {
    problem_ = receiver.error().message + ": is another program on the port? remove " +
               deploy::feed_endpoint_file(data_dir) + ", restart, and redeploy the apps to move the feed";
    return;
  }
  receiver_ = std::move(receiver.value());
}

FeedListener::~FeedListener() {
  if (receiver_) receiver_->stop();
}

}  // namespace turnout::agent
