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
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

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
  options.header_timeout = std::chrono::seconds(1);
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
  options.header_timeout = std::chrono::seconds(1);
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

namespace {

// Sends `raw` on a new connection and reads until the server closes it (the requests here end
// with `Connection: close`) or the client timeout passes: everything the server answered.
std::string exchange(int port, const std::string& raw) {
  auto socket = stall_after(port, raw);
  socket->setReceiveTimeout(kClientTimeout);
  std::string answer;
  char buffer[4096];
  try {
    for (int got = 0; (got = socket->receiveBytes(buffer, sizeof(buffer))) > 0;) answer.append(buffer, got);
  } catch (const Poco::Exception&) {
    // A reset after the answer, or the timeout: what came is what the test checks.
  }
  return answer;
}

// Reads from `socket` until `marker` has arrived; "" when it does not within the client timeout.
std::string read_until(Poco::Net::StreamSocket& socket, const std::string& marker) {
  socket.setReceiveTimeout(kClientTimeout);
  std::string seen;
  char buffer[4096];
  try {
    while (seen.find(marker) == std::string::npos) {
      const int got = socket.receiveBytes(buffer, sizeof(buffer));
      if (got <= 0) return "";
      seen.append(buffer, got);
    }
  } catch (const Poco::Exception&) {
    return "";
  }
  return seen;
}

std::string post(const std::string& path, const std::string& headers) {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers + "\r\n";
}

Router echo_router() {
  Router router = hello_router();
  router.add("POST", "/echo", [](const HttpRequest& request) {
    return HttpResponse{200, "[" + request.body + "]", "text/plain"};
  });
  router.add("GET", "/query", [](const HttpRequest& request) {
    const auto found = request.query.find("q");
    return HttpResponse{200, request.path + "|" + (found == request.query.end() ? "" : found->second),
                        "text/plain"};
  });
  return router;
}

}  // namespace

TEST_CASE("http server: the status line carries the reason phrase of its status", "[integration][http]") {
  const Router router = echo_router();
  auto server = start(loopback_options(), router);
  CHECK_THAT(exchange(server->port(), "GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
             Catch::StartsWith("HTTP/1.1 404 Not Found\r\n"));
  CHECK_THAT(exchange(server->port(), "POST /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
             Catch::StartsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
  CHECK_THAT(exchange(server->port(), "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
             Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("http server: a POST without a body is answered without waiting for one", "[integration][http]") {
  const Router router = echo_router();
  auto options = loopback_options();
  // Far beyond the client's patience: an answer can only come from not waiting for a body.
  options.header_timeout = std::chrono::seconds(60);
  options.idle_timeout = std::chrono::seconds(60);
  auto server = start(options, router);
  for (const std::string length : {"", "Content-Length: 0\r\n"}) {
    // Keep-alive: the server must answer on its own, not when the client closes.
    auto socket = stall_after(server->port(), "POST /echo HTTP/1.1\r\nHost: x\r\n" + length + "\r\n");
    const auto answer = read_until(*socket, "[]");
    CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  }
}

TEST_CASE("http server: queries and paths are decoded, and a bad escape is a 400", "[integration][http]") {
  const Router router = echo_router();
  auto server = start(loopback_options(), router);
  const auto good =
      exchange(server->port(), "GET /que%72y?q=a%20b+c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK_THAT(good, Catch::EndsWith("/query|a b c"));
  const auto bad =
      exchange(server->port(), "GET /query?limit=%G0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK_THAT(bad, Catch::StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  CHECK_THAT(bad, Catch::Contains("\"error\":\"bad percent-escape in the URL's query"));
}

TEST_CASE("http server: a request line past the header limit is 414, headers past it 431",
          "[integration][http]") {
  const Router router = echo_router();
  auto options = loopback_options();
  std::vector<int> refused;
  std::mutex mutex;
  options.on_refused = [&](const std::string&, int status) {
    const std::lock_guard<std::mutex> lock(mutex);
    refused.push_back(status);
  };
  auto server = start(options, router);
  // A 10 MB query string: answered once the limit is passed, the rest read and dropped.
  const auto long_line = exchange(server->port(), "GET /query?q=" + std::string(10 * 1024 * 1024, 'a') +
                                                      " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK_THAT(long_line, Catch::StartsWith("HTTP/1.1 414 URI Too Long\r\n"));
  CHECK_THAT(long_line, Catch::Contains("\"error\":\"request line over 16384 bytes\""));
  const auto big_header =
      exchange(server->port(), "GET /query?q=1 HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'b') +
                                   "\r\nConnection: close\r\n\r\n");
  CHECK_THAT(big_header, Catch::StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
  CHECK_THAT(big_header, Catch::Contains("\"error\":\"request headers over 16384 bytes\""));
  const std::lock_guard<std::mutex> lock(mutex);
  CHECK(refused == std::vector<int>{414, 431});
}

TEST_CASE("http server: a field a response carries twice goes out twice", "[integration][http]") {
  Router router;
  router.add("GET", "/cookies", [](const HttpRequest&) {
    HttpResponse response{200, "two", "text/plain"};
    response.headers = {{"Set-Cookie", "a=1; Path=/"}, {"Set-Cookie", "b=2; Path=/"}};
    return response;
  });
  auto server = start(loopback_options(), router);
  const auto answer =
      exchange(server->port(), "GET /cookies HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK_THAT(answer, Catch::Contains("\r\nSet-Cookie: a=1; Path=/\r\n"));
  CHECK_THAT(answer, Catch::Contains("\r\nSet-Cookie: b=2; Path=/\r\n"));
}

TEST_CASE("http server: a bad or too large Content-Length is refused with a reason, and told",
          "[integration][http]") {
  const Router router = echo_router();
  auto options = loopback_options();
  options.max_body_bytes = 1000;
  std::vector<std::pair<std::string, int>> refused;
  std::mutex mutex;
  options.on_refused = [&](const std::string& path, int status) {
    const std::lock_guard<std::mutex> lock(mutex);
    refused.emplace_back(path, status);
  };
  auto server = start(options, router);

  const auto letters = exchange(server->port(), post("/echo", "Content-Length: abc\r\n"));
  CHECK_THAT(letters, Catch::StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  CHECK_THAT(letters, Catch::Contains("\"error\":\"malformed request: bad Content-Length\""));
  const auto digits = exchange(server->port(), post("/echo", "Content-Length: 12345678901234567890123\r\n"));
  CHECK_THAT(digits, Catch::StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  const auto large = exchange(server->port(), post("/echo", "Content-Length: 1001\r\n"));
  CHECK_THAT(large, Catch::StartsWith("HTTP/1.1 413 Payload Too Large\r\n"));
  CHECK_THAT(large, Catch::Contains("\"error\":\"request body over 1000 bytes\""));
  const auto early = exchange(server->port(), post("/echo", "Content-Length: 10\r\n") + "12345");
  // The client ended its half after five bytes: the answer may be lost, the refusal is still told.
  (void)early;

  // Each one told, by path and status, before anything else runs on the I/O thread.
  const auto told = [&] {
    const std::lock_guard<std::mutex> lock(mutex);
    return refused;
  }();
  REQUIRE(told.size() >= 3);
  CHECK(told[0] == std::make_pair(std::string("/echo"), 400));
  CHECK(told[1] == std::make_pair(std::string("/echo"), 400));
  CHECK(told[2] == std::make_pair(std::string("/echo"), 413));
}

TEST_CASE("http server: a chunked body and Expect: 100-continue are read as HTTP/1.1 says",
          "[integration][http]") {
  const Router router = echo_router();
  auto server = start(loopback_options(), router);
  const auto chunked = exchange(
      server->port(), post("/echo", "Transfer-Encoding: chunked\r\n") + "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  CHECK_THAT(chunked, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  CHECK_THAT(chunked, Catch::EndsWith("[abcde]"));

  auto socket = stall_after(server->port(), post("/echo", "Content-Length: 4\r\nExpect: 100-continue\r\n"));
  CHECK_THAT(read_until(*socket, "\r\n\r\n"), Catch::StartsWith("HTTP/1.1 100 Continue\r\n"));
  socket->sendBytes("wxyz", 4);
  CHECK_THAT(read_until(*socket, "[wxyz]"), Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("http server: with every handler busy and the queue full it answers 503 with Retry-After",
          "[integration][http]") {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> entered;
  Router router;
  router.add("GET", "/slow", [&](const HttpRequest&) {
    entered.set_value();
    released.wait();
    return HttpResponse{200, "slow", "text/plain"};
  });
  auto options = loopback_options();
  options.threads = 1;
  options.max_queued = 0;
  auto server = start(options, router);
  auto first = stall_after(server->port(), "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  entered.get_future().wait();
  const auto busy = exchange(server->port(), "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK_THAT(busy, Catch::StartsWith("HTTP/1.1 503 Service Unavailable\r\n"));
  CHECK_THAT(busy, Catch::Contains("Retry-After: 1\r\n"));
  release.set_value();
  CHECK_THAT(read_until(*first, "slow"), Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("http server: a route that answers later holds no thread while it waits, and answers once",
          "[integration][http]") {
  // One handler thread, no queue: were the waiting route holding a thread, /hello would be 503.
  std::mutex mutex;
  std::vector<Respond> waiting;
  std::promise<void> entered;
  Router router = hello_router();
  router.add_async("POST", "/later", [&](const HttpRequest& request, const Respond& respond) {
    const std::lock_guard lock(mutex);
    waiting.push_back(respond);
    if (request.body == "first") entered.set_value();
  });
  router.add_async("POST", "/dropped", [](const HttpRequest&, const Respond&) {});
  router.add_async("POST", "/throws", [](const HttpRequest&, const Respond&) {
    throw std::runtime_error("a route that failed");
  });
  auto options = loopback_options();
  options.threads = 1;
  options.max_queued = 0;
  auto server = start(options, router);
  auto later =
      stall_after(server->port(),
                  "POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nfirst");
  entered.get_future().wait();
  CHECK(get_http(server->port(), "/hello").body == "hello");
  // Answered from another thread, twice: the first answer is the one written.
  std::thread([&] {
    const std::lock_guard lock(mutex);
    waiting.front()(HttpResponse{201, "made", "text/plain"});
    waiting.front()(HttpResponse{500, "again", "text/plain"});
    waiting.clear();
  }).join();
  const auto answer = read_until(*later, "made");
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 201 Created\r\n"));
  CHECK_THAT(answer, !Catch::Contains("again"));
  // A route that drops its Respond unanswered, or throws, is a 500: the client never waits for nothing.
  const auto dropped = exchange(
      server->port(), "POST /dropped HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  CHECK_THAT(dropped, Catch::StartsWith("HTTP/1.1 500 Internal Server Error\r\n"));
  CHECK_THAT(dropped, Catch::Contains("dropped unanswered"));
  const auto thrown = exchange(
      server->port(), "POST /throws HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  CHECK_THAT(thrown, Catch::StartsWith("HTTP/1.1 500 Internal Server Error\r\n"));
}

TEST_CASE("http server: stop() waits for an answer a route still owes", "[integration][http]") {
  std::promise<Respond> owed;
  Router router;
  router.add_async("POST", "/later",
                   [&](const HttpRequest&, const Respond& respond) { owed.set_value(respond); });
  auto server = start(loopback_options(), router);
  auto client = stall_after(
      server->port(), "POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  Respond respond = owed.get_future().get();
  auto stopped = std::async(std::launch::async, [&] { server->stop(); });
  CHECK(stopped.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);
  respond(HttpResponse{200, "in the end", "text/plain"});
  respond = nullptr;
  stopped.get();
  CHECK_THAT(read_until(*client, "in the end"), Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("http server: at its cap a new connection closes the idlest, not itself", "[integration][http]") {
  const Router router = echo_router();
  auto options = loopback_options();
  options.max_connections_per_peer = 2;
  options.idle_timeout = std::chrono::seconds(60);
  auto server = start(options, router);
  auto oldest = stall_after(server->port(), "");
  auto older = stall_after(server->port(), "");
  // Both are open and idle; the third is served, and the oldest idle one made room for it.
  CHECK(get_http(server->port(), "/hello").status == 200);
  CHECK(closed_by_server(*oldest));
  CHECK(get_http(server->port(), "/hello").status == 200);
}

namespace {

// A live body the test feeds: pieces it adds are handed out in order, then the end once closed.
class FedBody {
 public:
  std::shared_ptr<LiveBody> body() {
    auto live = std::make_shared<LiveBody>();
    live->poll = std::chrono::milliseconds(20);
    live->next = [this](std::string& piece) {
      const std::lock_guard<std::mutex> lock(mutex_);
      ++asked_;
      piece.clear();
      if (!pieces_.empty()) {
        piece = pieces_.front();
        pieces_.erase(pieces_.begin());
        return pieces_.empty() && closed_ ? LiveStep::end : LiveStep::wait;
      }
      return closed_ ? LiveStep::end : LiveStep::wait;
    };
    return live;
  }
  void add(const std::string& piece) {
    const std::lock_guard<std::mutex> lock(mutex_);
    pieces_.push_back(piece);
  }
  void close() {
    const std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  int asked() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return asked_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> pieces_;
  bool closed_ = false;
  int asked_ = 0;
};

Router live_router(FedBody& fed) {
  Router router = hello_router();
  router.add("GET", "/live", [&fed](const HttpRequest&) {
    HttpResponse answer{200, "", "text/plain"};
    answer.live = fed.body();
    return answer;
  });
  return router;
}

// Asks `asked` until it stops growing for a while: the server no longer calls the body.
bool stops_asking(FedBody& fed) {
  int before = fed.asked();
  for (int quiet = 0, round = 0; round < 300; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const int now = fed.asked();
    quiet = now == before ? quiet + 1 : 0;
    before = now;
    if (quiet >= 5) return true;
  }
  return false;
}

const std::string kLiveRequest = "GET /live HTTP/1.1\r\nHost: x\r\n\r\n";

}  // namespace

TEST_CASE("http server: a live body goes out in chunks as it grows, and ends with the last chunk",
          "[integration][http]") {
  FedBody fed;
  const Router router = live_router(fed);
  auto server = start(loopback_options(), router);
  auto socket = stall_after(server->port(), kLiveRequest);
  fed.add("first line\n");
  const auto head = read_until(*socket, "first line\n");
  CHECK_THAT(head, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  CHECK_THAT(head, Catch::Contains("Transfer-Encoding: chunked\r\n"));
  // The second piece arrives on the open answer, before the body has ended.
  fed.add("second line\n");
  const auto more = read_until(*socket, "second line\n");
  CHECK_THAT(more, Catch::Contains("second line\n"));
  CHECK(more.find("0\r\n\r\n") == std::string::npos);
  fed.close();
  CHECK_THAT(read_until(*socket, "0\r\n\r\n"), Catch::EndsWith("0\r\n\r\n"));
  // Kept alive: the same connection serves the next request.
  socket->sendBytes("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", 32);
  CHECK_THAT(read_until(*socket, "hello"), Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("http server: live bodies are capped, and one whose client left ends and frees its place",
          "[integration][http]") {
  FedBody fed;
  const Router router = live_router(fed);
  auto options = loopback_options();
  options.max_live_streams = 1;
  auto server = start(options, router);
  auto first = stall_after(server->port(), kLiveRequest);
  fed.add("hello\n");
  REQUIRE_THAT(read_until(*first, "hello\n"), Catch::StartsWith("HTTP/1.1 200 OK\r\n"));

  const auto refused = exchange(server->port(), "GET /live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK_THAT(refused, Catch::StartsWith("HTTP/1.1 503 Service Unavailable\r\n"));
  CHECK_THAT(refused, Catch::Contains("poll with ?offset="));

  first->close();
  CHECK(stops_asking(fed));
  auto second = stall_after(server->port(), kLiveRequest);
  fed.add("again\n");
  CHECK_THAT(read_until(*second, "again\n"), Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("http server: stop() ends a live body that would never end", "[integration][http]") {
  FedBody fed;
  const Router router = live_router(fed);
  auto server = start(loopback_options(), router);
  auto socket = stall_after(server->port(), kLiveRequest);
  fed.add("forever\n");
  REQUIRE_THAT(read_until(*socket, "forever\n"), Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  server->stop();
  // Cut short, not completed: the client sees the connection end without the last chunk.
  CHECK(closed_by_server(*socket));
  CHECK(stops_asking(fed));
}

TEST_CASE("http server: reload_tls serves a renewed certificate to new connections",
          "[integration][http][tls]") {
  TempDir dir;
  const auto old_cert = make_self_signed_cert(dir.path(), "old");
  const Router router = hello_router();
  auto options = loopback_options();
  const auto cert = dir.path() / "live.crt";
  const auto key = dir.path() / "live.key";
  std::filesystem::copy_file(old_cert.cert, cert);
  std::filesystem::copy_file(old_cert.key, key);
  options.tls = TlsFiles{cert.string(), key.string()};
  auto server = start(options, router);
  CHECK(get_https(server->port(), client_context_trusting(old_cert.cert), "/hello").status == 200);

  // A broken file leaves the old pair in use.
  const auto renewed = make_self_signed_cert(dir.path(), "renewed");
  dir.write("live.key", "not a key\n");
  const auto refused = server->reload_tls();
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message, Catch::Contains(key.string()));
  CHECK(get_https(server->port(), client_context_trusting(old_cert.cert), "/hello").status == 200);

  std::filesystem::copy_file(renewed.cert, cert, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(renewed.key, key, std::filesystem::copy_options::overwrite_existing);
  REQUIRE(server->reload_tls().ok());
  CHECK(get_https(server->port(), client_context_trusting(renewed.cert), "/hello").status == 200);
  CHECK_THROWS_AS(get_https(server->port(), client_context_trusting(old_cert.cert), "/hello"),
                  Poco::Exception);
}
