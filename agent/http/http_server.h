#pragma once
// The agent's HTTP transport (ARCHITECTURE.md, "The HTTP layer"): Boost.Beast on Boost.Asio. One
// I/O thread accepts, reads and writes every connection without blocking, so an idle or slow
// connection costs a timer and a buffer, not a thread; each complete request goes to a small
// pool of handler threads (the routes touch the disk: the store's group commit, log files), and
// the answer comes back to the I/O thread to be written. Deadlines bound every stage, and a cap
// on connections keeps room for new ones by closing the idlest.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/http/router.h"
#include "agent/http/tls_context.h"
#include "util/duration.h"
#include "util/result.h"

namespace turnout::agent {

/// How the server listens and what it tolerates (`http:` in agent.yml; README, "agent.yml reference").
struct HttpServerOptions {
  std::string host = "127.0.0.1";  ///< address to bind
  int port = 8787;                 ///< 0: any free port
  int threads = 8;       ///< handler threads: requests handled at once that may block (not a small webhook)
  int max_queued = 256;  ///< requests waiting for a handler thread; beyond, 503 + Retry-After
  /// From a request's first byte to the end of its headers; also bounds a TLS handshake.
  util::Duration header_timeout{5000};
  /// A keep-alive connection waiting for its next request (or a new one for its first) is closed after it.
  util::Duration idle_timeout{10000};
  /// Each write of an answer to the client.
  util::Duration send_timeout{30000};
  /// A body must arrive at this many bytes per second on average, after header_timeout's grace.
  std::size_t min_body_rate = 16 * 1024;
  int max_connections = 1024;          ///< open connections; a new one beyond closes the idlest
  int max_connections_per_peer = 256;  ///< the same for one client address; 0: no such limit (behind a proxy)
  std::size_t max_header_bytes = 16 * 1024;       ///< request line and headers; beyond, 414 or 431
  std::size_t max_body_bytes = 25 * 1024 * 1024;  ///< larger bodies are answered 413 (GitHub's own cap)
  /// Live bodies (followed logs) being sent at once; one more is answered 503 (poll instead).
  int max_live_streams = 64;
  std::optional<TlsFiles> tls;  ///< given: HTTPS only (TLS 1.2+); none: plain HTTP
  /// Told of each request the transport itself refused (its path and status: 400, 413, 414, 431, 503),
  /// which no route saw; called on the I/O thread, so it must be quick.
  std::function<void(const std::string& path, int status)> on_refused{};
};

/// A running HTTP server. Requests are answered by the router; an exception from a route is a
/// 500 JSON. Refusals by the transport are JSON `{"error": ...}` too: a malformed request or
/// URL 400, a body over the limit 413 (told by Content-Length before anything is read, or once
/// the bytes exceed it), a request line over the limit 414, headers over it 431, a full handler queue 503.
class HttpServer {
 public:
  /// Binds and starts serving; `router` must outlive this. Fails naming the address when it
  /// cannot bind, and naming the file when the TLS certificate or key is unusable.
  static util::Result<std::unique_ptr<HttpServer>> start(const HttpServerOptions& options,
                                                         const Router& router);
  /// stop().
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// The port it listens on.
  int port() const;
  /// Reads the TLS certificate and key again (a renewed certificate, on SIGHUP): connections
  /// from now on get the new one, open ones keep theirs. A file that does not load leaves the
  /// old pair in use and fails naming it. Nothing (Ok) when serving plain HTTP.
  util::Status reload_tls();
  /// Stops accepting, closes idle connections, lets the requests in progress finish (each bounded
  /// by the deadlines), and returns once every connection is closed. Idempotent.
  void stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace turnout::agent
