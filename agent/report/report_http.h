#pragma once
// The one HTTP request reports make: a POST of a JSON body, over HTTPS with the server's
// certificate verified against the system's trust store (/etc/ssl/certs), or plain HTTP when
// the URL says so (a GitHub Enterprise behind a local proxy, tests).

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace turnout::agent {

/// One POST to make.
struct HttpPost {
  std::string url;                                              ///< http:// or https://
  std::vector<std::pair<std::string, std::string>> headers;     ///< besides Content-Type and Content-Length
  std::string body;                                             ///< sent as application/json
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  ///< to connect, and for each read
  std::string ca_file;  ///< PEM file of the only trusted CAs; "" = the system's store
};

/// What the server answered.
struct HttpReply {
  int status = 0;                              ///< the HTTP status
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;                            ///< up to 64 KiB of it

  /// The header `name` (lower case), "" when absent.
  std::string header(const std::string& name) const;
};

/// Sends `post`. Any answer, 5xx included, is a reply; a failure to connect, a TLS or
/// certificate error, or a timeout is an error of kind `unavailable` naming the host.
util::Result<HttpReply> post_json(const HttpPost& post);

}  // namespace turnout::agent
