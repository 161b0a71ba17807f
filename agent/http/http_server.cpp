#include "agent/http/http_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <istream>

namespace turnout::agent {

namespace {

using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// Reads at most `limit + 1` bytes, so a body over the limit is seen without keeping it all.
std::string read_body(std::istream& in, std::size_t limit) {
  std::string body;
  char buffer[64 * 1024];
  while (body.size() <= limit && in.good()) {
    const std::size_t want = std::min(sizeof(buffer), limit + 1 - body.size());
    in.read(buffer, static_cast<std::streamsize>(want));
    body.append(buffer, static_cast<std::size_t>(in.gcount()));
  }
  return body;
}

void fill_request(HTTPServerRequest& from, HttpRequest& to) {
  to.method = from.getMethod();
  const Poco::URI uri(from.getURI());
  to.path = uri.getPath();
  for (const auto& [name, value] : uri.getQueryParameters()) to.query[name] = value;
  for (const auto& [name, value] : from) to.headers[lower(name)] = value;
}

// The body, or why it is refused: ErrorKind::denied when too large (413), invalid when cut
// short (400).
util::Result<std::string> receive_body(HTTPServerRequest& request, std::size_t limit) {
  const std::string too_large = "request body over " + std::to_string(limit) + " bytes";
  if (request.hasContentLength() && request.getContentLength64() > static_cast<Poco::Int64>(limit)) {
    return util::fail(too_large, util::ErrorKind::denied);
  }
  std::string body = read_body(request.stream(), limit);
  if (body.size() > limit) return util::fail(too_large, util::ErrorKind::denied);
  if (request.hasContentLength() && static_cast<Poco::Int64>(body.size()) < request.getContentLength64()) {
    return util::fail("request body ended after " + std::to_string(body.size()) + " of " +
                          std::to_string(request.getContentLength64()) + " bytes (Content-Length)",
                      util::ErrorKind::invalid);
  }
  return body;
}

// The pieces as they come, one at a time; when they fall short of the length announced, the
// connection is not reused (the client sees it end early rather than wait for the rest).
void send_pieces(HTTPServerResponse& response, const BodyPieces& pieces) {
  std::ostream& out = response.send();
  std::string piece;
  std::int64_t sent = 0;
  while (sent < pieces.length && out && pieces.next(piece)) {
    out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
    sent += static_cast<std::int64_t>(piece.size());
  }
  if (sent != pieces.length) {
    spdlog::warn("answer cut short after {} of {} bytes", sent, pieces.length);
    response.setKeepAlive(false);
  }
}

void send(HTTPServerResponse& response, const HttpResponse& answer) {
  response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
  response.setContentType(answer.content_type);
  for (const auto& [name, value] : answer.headers) response.set(name, value);
  if (answer.pieces) {
    response.setContentLength64(answer.pieces->length);
    send_pieces(response, *answer.pieces);
    return;
  }
  response.setContentLength64(static_cast<Poco::Int64>(answer.body.size()));
  response.send() << answer.body;
}

HttpResponse answer(const Router& router, HTTPServerRequest& request, HTTPServerResponse& response,
                    std::size_t limit) {
  HttpRequest routed;
  fill_request(request, routed);
  auto body = receive_body(request, limit);
  if (!body) {
    // What is left of a refused body is never read: the connection cannot be reused.
    response.setKeepAlive(false);
    const int status = body.error().kind == util::ErrorKind::denied ? 413 : 400;
    return json_error(status, body.error().message);
  }
  routed.body = std::move(body.value());
  return router.route(std::move(routed));
}

class RoutingHandler : public Poco::Net::HTTPRequestHandler {
 public:
  RoutingHandler(const Router& router, std::size_t limit) : router_(router), limit_(limit) {}

  // No exception leaves here: whatever a route throws is a 500 (its text only in the log).
  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    HttpResponse result;
    try {
      result = answer(router_, request, response, limit_);
    } catch (const Poco::Exception& error) {
      spdlog::error("{} {}: {}", request.getMethod(), request.getURI(), error.displayText());
      result = json_error(500, "internal error");
    } catch (const std::exception& error) {
      spdlog::error("{} {}: {}", request.getMethod(), request.getURI(), error.what());
      result = json_error(500, "internal error");
    }
    spdlog::debug("{} {} {}", request.getMethod(), request.getURI(), result.status);
    try {
      send(response, result);
    } catch (const std::exception& error) {
      spdlog::warn("{} {}: answer not sent: {}", request.getMethod(), request.getURI(), error.what());
    }
  }

 private:
  const Router& router_;
  std::size_t limit_;
};

class RoutingFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  RoutingFactory(const Router& router, std::size_t limit) : router_(router), limit_(limit) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new RoutingHandler(router_, limit_);
  }

 private:
  const Router& router_;
  std::size_t limit_;
};

Poco::Net::HTTPServerParams::Ptr server_params(const HttpServerOptions& options) {
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(options.threads);
  params->setMaxQueued(options.max_queued);
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(options.timeout_seconds, 0));
  params->setMaxKeepAliveRequests(100);
  params->setTimeout(Poco::Timespan(options.timeout_seconds, 0));
  return params;
}

// Bound and listening; with `tls`, every accepted connection must complete a TLS handshake
// (done lazily in the connection's own thread, so under the same timeout as its request).
// SO_REUSEADDR but not SO_REUSEPORT (Poco's constructors set both): with it, a second agent on
// the same address would start and share the connections instead of failing.
Poco::Net::ServerSocket listen_on(const HttpServerOptions& options, const Poco::Net::Context::Ptr& tls) {
  const Poco::Net::SocketAddress address(options.host, static_cast<Poco::UInt16>(options.port));
  Poco::Net::ServerSocket socket =
      tls ? Poco::Net::ServerSocket(Poco::Net::SecureServerSocket(tls)) : Poco::Net::ServerSocket();
  socket.bind(address, true, false);
  socket.listen(options.max_queued);
  return socket;
}

}  // namespace

struct HttpServer::Impl {
  Poco::ThreadPool pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  int port = 0;
  bool stopped = false;

  // Poco's pool refuses a minimum above its maximum: `threads: 1` is a valid (if small) server.
  explicit Impl(int threads) : pool("http", std::min(2, threads), threads) {}
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

util::Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpServerOptions& options,
                                                            const Router& router) {
  const std::string where = options.host + ":" + std::to_string(options.port);
  Poco::Net::Context::Ptr tls;
  if (options.tls) {
    auto context = server_tls_context(*options.tls);
    if (!context) return context.error();
    tls = context.value();
  }
  try {
    auto impl = std::make_unique<Impl>(options.threads);
    Poco::Net::ServerSocket socket = listen_on(options, tls);
    impl->port = socket.address().port();
    impl->server = std::make_unique<Poco::Net::HTTPServer>(new RoutingFactory(router, options.max_body_bytes),
                                                           impl->pool, socket, server_params(options));
    impl->server->start();
    return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
  } catch (const Poco::Exception& error) {
    return util::fail("cannot listen on " + where + ": " + error.displayText() +
                      ": is another process using the port? choose another `listen:`");
  }
}

int HttpServer::port() const { return impl_->port; }

void HttpServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  // Ends keep-alive connections after their current request; then waits for every thread.
  impl_->server->stopAll(false);
  impl_->pool.joinAll();
}

}  // namespace turnout::agent
