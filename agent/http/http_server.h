#pragma once
// The agent's HTTP transport on Poco::Net: a bounded thread pool and connection queue,
// keep-alive, and socket timeouts, so neither many clients nor a slow one can stall the agent.
// It reads each request completely (within a size limit) and hands it to a Router.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "agent/http/router.h"
#include "agent/http/tls_context.h"
#include "util/result.h"

namespace turnout::agent {

/// How the server listens and what it tolerates.
struct HttpServerOptions {
  std::string host = "127.0.0.1";                 ///< address to bind
  int port = 8787;                                ///< 0: any free port
  int threads = 64;                               ///< connections served at once
  int max_queued = 64;                            ///< accepted connections waiting for a thread
  int timeout_seconds = 10;                       ///< receive and send timeout of every socket
  std::size_t max_body_bytes = 25 * 1024 * 1024;  ///< larger bodies are answered 413 (GitHub's own cap)
  std::optional<TlsFiles> tls;                    ///< given: HTTPS only (TLS 1.2+); none: plain HTTP
};

/// A running HTTP server. Requests are answered by the router; a body larger than the limit
/// is 413 (told by Content-Length before anything is read, or once the bytes exceed it), a
/// body shorter than its Content-Length is 400, and an exception from a route is a 500 JSON.
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
  /// Stops accepting, lets the requests in progress finish (each bounded by the timeout), and
  /// returns once every connection thread is done. Idempotent.
  void stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace turnout::agent
