#pragma once
// The one HTTP request reports make: a POST of a JSON body, over HTTPS with the server's
// certificate verified against the system's trust store (/etc/ssl/certs), or plain HTTP when
// the URL says so (a GitHub Enterprise behind a local proxy, tests).

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "util/http_client.h"
#include "util/result.h"

namespace turnout::agent {

/// What the server answered (util::HttpReply, under the name reports have always used).
using util::HttpReply;

/// One POST to make.
struct HttpPost {
  std::string url;                                              ///< http:// or https://
  std::vector<std::pair<std::string, std::string>> headers;     ///< besides Content-Type and Content-Length
  std::string body;                                             ///< sent as application/json
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  ///< to connect, and for each read
  std::string ca_file;  ///< PEM file of the only trusted CAs; "" = the system's store
};

/// Sends `post`. Any answer, 5xx included, is a reply; a failure to connect, a TLS or
/// certificate error, or a timeout is an error of kind `unavailable` naming the host.
util::Result<HttpReply> post_json(const HttpPost& post);

}  // namespace turnout::agent
