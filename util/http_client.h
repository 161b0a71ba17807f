#pragma once
// turnout's one HTTP client, Boost.Beast over Asio with OpenSSL: a request and its answer, for
// the reports to forges and hooks, the CLI's requests to the agent, and the deploy steps' health
// probes and questions to nginx. Over https the server proves who it is, in one of two ways
// (`ServerTrust`), and every step (connect, handshake, send, each read) has a deadline.

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace turnout::util {

/// How an https server proves who it is.
struct ServerTrust {
  /// PEM file of the only trusted CAs ("" = the system's store); with `pinned`, the certificate.
  std::string ca_file;
  /// true: the server's certificate must be exactly the one in `ca_file`, no chain or name
  /// checked (the CLI to its agent on a loopback address its certificate does not name);
  /// false: the chain up to a trusted CA, and the URL's host name (or IP address) in it.
  bool pinned = false;
};

/// One request to make.
struct ClientRequest {
  std::string method = "POST";                                  ///< GET, POST, ...
  std::string url;                                              ///< http:// or https://
  std::vector<std::pair<std::string, std::string>> headers;     ///< besides Host and Content-Length
  std::string body;                                             ///< sent as is ("" = none)
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  ///< for each step, connect included
  bool one_deadline = false;         ///< true: `timeout` bounds the whole exchange, not each step
  ServerTrust trust;                 ///< with https
  std::size_t max_body = 64 * 1024;  ///< more of the answer is not read
};

/// What the server answered.
struct HttpReply {
  int status = 0;                              ///< the HTTP status
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;                            ///< up to the request's `max_body` of it, or what came
                                               ///< before it stopped coming (deadline, reset)

  /// The header `name` (lower case), "" when absent.
  std::string header(const std::string& name) const;
};

/// Why a request got no answer, for a caller that words it itself (a health probe).
enum class HttpFailure {
  other,      ///< the error's message says (a bad URL, DNS, TLS, a certificate)
  refused,    ///< nothing listens on the port
  timed_out,  ///< a deadline passed
  closed,     ///< the server hung up before answering a byte
  reset,      ///< the server reset the connection
  not_http,   ///< the answer is not HTTP (the message says what is wrong with it)
};

/// Sends `request` and reads the answer on the caller's thread. Any answer, 5xx included, is a
/// reply; a bad URL, a failure to resolve or connect, a TLS or certificate error, or a missed
/// deadline before the answer's head is an error of kind `unavailable` saying why (callers name
/// the URL), and `why`, when given, says which.
Result<HttpReply> send_request(const ClientRequest& request, HttpFailure* why = nullptr);

/// Opens a TCP connection to `host`:`port` within `timeout`, and closes it: does anything listen?
Status connect_tcp(const std::string& host, int port, std::chrono::milliseconds timeout,
                   HttpFailure* why = nullptr);

}  // namespace turnout::util
