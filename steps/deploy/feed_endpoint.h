#pragma once
// Where nginx sends the traffic feed of every app of one data folder (README, "Traffic feed"):
// a loopback UDP port and a key, in DATA/nginx/feed.endpoint. The first deploy with `feed: true`
// or the first `turnout serve` makes it (a free port, 128 random bits) and every later one keeps
// it, so that the includes written by a deploy and the agent's receiver agree across restarts.

#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace turnout::steps::deploy {

/// The feed's address and key.
struct FeedEndpoint {
  int port = 0;     ///< UDP, on 127.0.0.1
  std::string key;  ///< 32 hex digits every line carries: a line without it is forged

  bool operator==(const FeedEndpoint&) const = default;
};

/// `DATA/nginx/feed.endpoint`.
std::string feed_endpoint_file(const std::string& data_dir);

/// The endpoint file's content, "PORT KEY\n"; nullopt for anything else.
std::optional<FeedEndpoint> parse_feed_endpoint(std::string_view text);

/// The data folder's endpoint: read, or made once under a lock (0600; the key is a secret of
/// the data folder's owner). Fails when the file is there but unreadable or not of that form
/// (naming it: remove it to have a new one made), or cannot be written.
util::Result<FeedEndpoint> feed_endpoint(const std::string& data_dir);

}  // namespace turnout::steps::deploy
