// HttpServer on a real loopback socket: real clients, real TLS, real timeouts.
#include "agent/http/http_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "tests/support/self_signed_cert.h"
#include "tests/support/temp_dir.h"

using namespace turnout::agent;
using namespace turnout::test;

namespace {

// Generous: the server's own timeouts decide; this only keeps a broken test from hanging.
const Poco::Timespan kClientTimeout(15, 0);

Router hello_router() {
  Router router;
  router.add("GET", "/hello", [](const HttpRequest&) { return HttpResponse{200, "hello", "text/plain"}; });
  return router;
}

// Port 0: the kernel picks a free port, so there is no race with another test to retry.
std::unique_ptr<HttpServer> start(const HttpServerOptions& options, const Router& router) {
  auto server = HttpServer::start(options, router);
  INFO((server ? "" : server.error().message));
  REQUIRE(server.ok());
  return std::move(server.value());
}

HttpServerOptions loopback_options() {
  HttpServerOptions options;
  options.port = 0;
  return options;
}

struct Answer {
  int status = 0;
  std::string body;
};

Answer get(Poco::Net::HTTPClientSession& session, const std::string& path) {
  session.setTimeout(kClientTimeout);
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Answer answer{static_cast<int>(response.getStatus()), ""};
  Poco::StreamCopier::copyToString(in, answer.body);
  return answer;
}

Answer get_https(int port, const Poco::Net::Context::Ptr& client, const std::string& path) {
  Poco::Net::HTTPSClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port), client);
  return get(session, path);
}

Answer get_http(int port, const std::string& path) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  return get(session, path);
}

// A connection that sends `bytes` and then nothing more.
std::unique_ptr<Poco::Net::StreamSocket> stall_after(int port, const std::string& bytes) {
  auto socket = std::make_unique<Poco::Net::StreamSocket>(
      Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
  if (!bytes.empty()) socket->sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  return socket;
}

// True once the server has let go of the connection (end of stream or a reset, after whatever
// it chose to answer); false when it is still open after the generous client timeout.
bool closed_by_server(Poco::Net::StreamSocket& socket) {
  socket.setReceiveTimeout(kClientTimeout);
  char buffer[4096];
  try {
    while (socket.receiveBytes(buffer, sizeof(buffer)) > 0) {
    }
    return true;
  } catch (const Poco::TimeoutException&) {
    return false;
  } catch (const Poco::Net::NetException&) {
    return true;
  }
}

}  // namespace

TEST_CASE("http server: with TLS it answers HTTPS that verifies against its certificate",
          "[integration][http][tls]") {
  TempDir dir;
  const auto cert = make_self_signed_cert(dir.path());
  const Router router = hello_router();
  auto options = loopback_options();
  options.tls = TlsFiles{cert.cert.string(), cert.key.string()};
  auto server = start(options, router);

  const auto answer = get_https(server->port(), client_context_trusting(cert.cert), "/hello");
  CHECK(answer.status == 200);
  CHECK(answer.body == "hello");

  // The check is real: a client that trusts another certificate refuses this server.
  const auto stranger = make_self_signed_cert(dir.path(), "stranger");
  CHECK_THROWS_AS(get_https(server->port(), client_context_trusting(stranger.cert), "/hello"),
                  Poco::Exception);
}

TEST_CASE("http server: with TLS, plain HTTP is not answered", "[integration][http][tls]") {
  TempDir dir;
  const auto cert = make_self_signed_cert(dir.path());
  const Router router = hello_router();
  auto options = loopback_options();
  options.tls = TlsFiles{cert.cert.string(), cert.key.string()};
  auto server = start(options, router);

  int status = 0;
  try {
    status = get_http(server->port(), "/hello").status;
  } catch (const Poco::Exception&) {
    // Refused in the handshake: the expected outcome.
  }
  CHECK(status != 200);
  CHECK(get_https(server->port(), client_context_trusting(cert.cert), "/hello").status == 200);
}

TEST_CASE("http server: a TLS key that is not a key fails start, naming the file",
          "[integration][http][tls]") {
  TempDir dir;
  const auto cert = make_self_signed_cert(dir.path());
  const auto bad_key =
      dir.write("bad.key", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
  const Router router = hello_router();
  auto options = loopback_options();
  options.tls = TlsFiles{cert.cert.string(), bad_key.string()};
  const auto server = HttpServer::start(options, router);
  REQUIRE_FALSE(server.ok());
  CHECK_THAT(server.error().message,
             Catch::StartsWith("tls: key " + bad_key.string() + " is not a PEM private key"));
  CHECK(server.error().message.find('\n') == std::string::npos);
}

TEST_CASE("http server: a client that stalls in its handshake is cut off", "[integration][http][tls][slow]") {
  TempDir dir;
  const auto cert = make_self_signed_cert(dir.path());
  const Router router = hello_router();
  auto options = loopback_options();
  options.tls = TlsFiles{cert.cert.string(), cert.key.string()};
  options.threads = 1;
  options.timeout_seconds = 1;
  auto server = start(options, router);

  // The first bytes of a TLS record header, then silence: the one thread waits in the handshake.
  auto stalled = stall_after(server->port(), std::string("\x16\x03\x01", 3));
  CHECK(get_https(server->port(), client_context_trusting(cert.cert), "/hello").status == 200);
  CHECK(closed_by_server(*stalled));
}

TEST_CASE("http server: clients that stop sending do not hold its threads", "[integration][http][slow]") {
  const Router router = hello_router();
  auto options = loopback_options();
  options.threads = 2;
  options.timeout_seconds = 1;
  auto server = start(options, router);

  // As many stalled connections as threads: one mid request line, one mid headers.
  auto mid_line = stall_after(server->port(), "GET /hel");
  auto mid_headers = stall_after(server->port(), "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: ");
  const auto answer = get_http(server->port(), "/hello");
  CHECK(answer.status == 200);
  CHECK(answer.body == "hello");
  CHECK(closed_by_server(*mid_line));
  CHECK(closed_by_server(*mid_headers));
}
