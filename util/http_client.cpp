#include "util/http_client.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <memory>

#include "util/strings.h"

namespace turnout::util {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;

namespace {

// What a request needs of its URL.
struct Url {
  bool https = false;
  std::string host;         // without the brackets of an IPv6 address
  std::string port;         // the scheme's when the URL names none
  std::string host_header;  // host and port as the URL spells them
  std::string target;       // path and query as the URL spells them: GitLab's `group%2Fproject`
                            // decoded would be another endpoint
};

Error unavailable(const std::string& why) { return fail(why, ErrorKind::unavailable); }

// The error for `error`, its kind told through `why` (when given).
Error failed(const ErrorCode& error, HttpFailure* why) {
  HttpFailure kind = HttpFailure::other;
  if (error == asio::error::connection_refused) {
    kind = HttpFailure::refused;
  } else if (error == beast::error::timeout) {
    kind = HttpFailure::timed_out;
  } else if (error == http::error::end_of_stream || error == asio::error::eof) {
    kind = HttpFailure::closed;
  } else if (error == asio::error::connection_reset) {
    kind = HttpFailure::reset;
  } else if (error.category() == http::make_error_code(http::error::bad_version).category()) {
    kind = HttpFailure::not_http;  // Beast's parser: a bad status line, header or framing
  }
  if (why) *why = kind;
  return unavailable(error.message());
}

// The deadlines of one exchange: one per step, or one for all of it.
class Deadline {
 public:
  explicit Deadline(const ClientRequest& request)
      : timeout_(request.timeout),
        whole_(request.one_deadline),
        end_(std::chrono::steady_clock::now() + timeout_) {}
  // Before each step.
  void arm(beast::tcp_stream& stream) const {
    if (whole_) {
      stream.expires_at(end_);
    } else {
      stream.expires_after(timeout_);
    }
  }

 private:
  std::chrono::milliseconds timeout_;
  bool whole_;
  std::chrono::steady_clock::time_point end_;
};

Result<Url> parse_url(const std::string& url) {
  const auto scheme_end = url.find("://");
  const std::string scheme = ascii_lower(url.substr(0, scheme_end));
  if (scheme_end == std::string::npos || (scheme != "http" && scheme != "https")) {
    return unavailable("not an http:// or https:// URL");
  }
  Url parsed;
  parsed.https = scheme == "https";
  const auto authority_begin = scheme_end + 3;
  const auto authority_end = url.find_first_of("/?#", authority_begin);
  std::string authority = url.substr(authority_begin, authority_end - authority_begin);
  if (const auto at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  parsed.host_header = authority;
  std::string port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string::npos) return unavailable("no closing ] in the URL's IPv6 address");
    parsed.host = authority.substr(1, close - 1);
    if (authority.size() > close + 1 && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else {
    const auto colon = authority.find(':');
    parsed.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (parsed.host.empty()) return unavailable("no host in the URL");
  parsed.port = port.empty() ? (parsed.https ? "443" : "80") : port;
  if (authority_end == std::string::npos || url[authority_end] == '#') {
    parsed.target = "/";
  } else {
    parsed.target = url.substr(authority_end, url.find('#', authority_end) - authority_end);
    if (parsed.target.starts_with('?')) parsed.target.insert(0, "/");
  }
  return parsed;
}

// Runs one asynchronous operation to its end, the caller's thread waiting: Beast's deadlines
// (tcp_stream::expires_after) hold for asynchronous operations only.
template <class Start>
ErrorCode run(asio::io_context& io, Start start) {
  ErrorCode result;
  start([&result](ErrorCode error, auto&&...) { result = error; });
  io.restart();
  io.run();
  return result;
}

bool is_ip_address(const std::string& host) {
  ErrorCode error;
  asio::ip::make_address(host, error);
  return !error;
}

using Certificate = std::unique_ptr<X509, decltype(&X509_free)>;

Result<Certificate> read_certificate(const std::string& path) {
  const std::unique_ptr<BIO, decltype(&BIO_free)> file(BIO_new_file(path.c_str(), "r"), BIO_free);
  Certificate certificate(file ? PEM_read_bio_X509(file.get(), nullptr, nullptr, nullptr) : nullptr,
                          X509_free);
  if (!certificate) return unavailable("cannot read the certificate " + path);
  return certificate;
}

// TLS 1.2 or newer; the CAs to trust, unless the certificate is pinned (checked after the
// handshake: OpenSSL's verification would reject a self-signed certificate).
Result<std::unique_ptr<asio::ssl::context>> client_context(const ServerTrust& trust) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  if (trust.pinned) {
    context->set_verify_mode(asio::ssl::verify_none);
    return context;
  }
  context->set_verify_mode(asio::ssl::verify_peer);
  ErrorCode error;
  if (trust.ca_file.empty()) {
    context->set_default_verify_paths(error);
    if (error) return unavailable("cannot load the system's CA store: " + error.message());
  } else {
    context->load_verify_file(trust.ca_file, error);
    if (error) return unavailable("cannot read the CAs in " + trust.ca_file + ": " + error.message());
  }
  return context;
}

// Before the handshake: SNI for a host name, and the name (or address) the certificate must
// carry, checked by OpenSSL during the handshake.
Status prepare(SSL* ssl, const std::string& host, const ServerTrust& trust) {
  const bool address = is_ip_address(host);
  if (!address && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1)
    return unavailable("cannot set SNI to " + host);
  if (trust.pinned) return Ok{};
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const int set = address ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                          : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  if (set != 1) return unavailable("cannot check the certificate's name against " + host);
  return Ok{};
}

Status check_pin(SSL* ssl, const X509* expected, const std::string& path) {
  const Certificate peer(SSL_get1_peer_certificate(ssl), X509_free);
  if (!peer || X509_cmp(peer.get(), expected) != 0)
    return unavailable("the server's certificate is not " + path);
  return Ok{};
}

template <class Stream>
Status connect(asio::io_context& io, Stream& stream, const tcp::resolver::results_type& endpoints,
               const Deadline& deadline, HttpFailure* why) {
  auto& socket = beast::get_lowest_layer(stream);
  deadline.arm(socket);
  if (const auto error = run(io, [&](auto done) { socket.async_connect(endpoints, done); })) {
    return failed(error, why);
  }
  return Ok{};
}

// Sends the request and reads the answer's head, then its body in pieces up to max_body. A body
// that stops coming (deadline, reset) ends the answer: the status is what callers act on.
template <class Stream>
Result<HttpReply> exchange(asio::io_context& io, Stream& stream, const ClientRequest& request, const Url& url,
                           const Deadline& deadline, HttpFailure* why) {
  http::request<http::string_body> message;
  message.method_string(request.method);
  message.target(url.target);
  message.version(11);
  message.set(http::field::host, url.host_header);
  for (const auto& [name, value] : request.headers) message.set(name, value);
  message.body() = request.body;
  message.prepare_payload();
  auto& socket = beast::get_lowest_layer(stream);
  deadline.arm(socket);
  if (const auto error = run(io, [&](auto done) { http::async_write(stream, message, done); })) {
    return failed(error, why);
  }
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);  // what is past max_body is never read
  deadline.arm(socket);
  if (const auto error = run(io, [&](auto done) { http::async_read_header(stream, buffer, parser, done); })) {
    return failed(error, why);
  }
  HttpReply reply;
  reply.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) {
    reply.headers[ascii_lower(field.name_string())] = std::string(field.value());
  }
  char piece[4096];
  while (!parser.is_done() && reply.body.size() < request.max_body) {
    parser.get().body().data = piece;
    parser.get().body().size = sizeof piece;
    deadline.arm(socket);
    const auto error = run(io, [&](auto done) { http::async_read(stream, buffer, parser, done); });
    reply.body.append(piece, sizeof piece - parser.get().body().size);
    if (error && error != http::error::need_buffer) break;  // need_buffer: the piece is full
  }
  if (reply.body.size() > request.max_body) reply.body.resize(request.max_body);
  return reply;
}

}  // namespace

std::string HttpReply::header(const std::string& name) const {
  const auto found = headers.find(name);
  return found == headers.end() ? std::string() : found->second;
}

Result<HttpReply> send_request(const ClientRequest& request, HttpFailure* why) {
  if (why) *why = HttpFailure::other;
  const auto url = parse_url(request.url);
  if (!url) return url.error();
  const Url& where = url.value();
  const Deadline deadline(request);
  try {
    asio::io_context io;
    tcp::resolver resolver(io);
    ErrorCode error;
    const auto endpoints = resolver.resolve(where.host, where.port, error);
    if (error) return unavailable(where.host + ": " + error.message());
    if (!where.https) {
      beast::tcp_stream stream(io);
      if (auto connected = connect(io, stream, endpoints, deadline, why); !connected)
        return connected.error();
      return exchange(io, stream, request, where, deadline, why);
    }
    Result<Certificate> pinned = Certificate(nullptr, X509_free);
    if (request.trust.pinned) pinned = read_certificate(request.trust.ca_file);  // before connecting
    if (!pinned) return pinned.error();
    auto context = client_context(request.trust);
    if (!context) return context.error();
    beast::ssl_stream<beast::tcp_stream> stream(io, *context.value());
    if (auto prepared = prepare(stream.native_handle(), where.host, request.trust); !prepared) {
      return prepared.error();
    }
    if (auto connected = connect(io, stream, endpoints, deadline, why); !connected) return connected.error();
    deadline.arm(stream.next_layer());
    if (const auto handshake =
            run(io, [&](auto done) { stream.async_handshake(asio::ssl::stream_base::client, done); })) {
      return failed(handshake, why);
    }
    if (request.trust.pinned) {
      if (auto same = check_pin(stream.native_handle(), pinned.value().get(), request.trust.ca_file); !same) {
        return same.error();
      }
    }
    return exchange(io, stream, request, where, deadline, why);
  } catch (const std::exception& error) {  // Asio's and Beast's few throwing calls (out of memory, ...)
    return unavailable(error.what());
  }
}

Status connect_tcp(const std::string& host, int port, std::chrono::milliseconds timeout, HttpFailure* why) {
  if (why) *why = HttpFailure::other;
  ClientRequest request;
  request.timeout = timeout;
  const Deadline deadline(request);
  try {
    asio::io_context io;
    tcp::resolver resolver(io);
    ErrorCode error;
    const auto endpoints = resolver.resolve(host, std::to_string(port), error);
    if (error) return unavailable(host + ": " + error.message());
    beast::tcp_stream stream(io);
    return connect(io, stream, endpoints, deadline, why);
  } catch (const std::exception& error) {
    return unavailable(error.what());
  }
}

}  // namespace turnout::util
