#include "agent/http/http_server.h"

#include <openssl/ssl.h>

#include <spdlog/spdlog.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <optional>
#include <thread>
#include <type_traits>

#include "agent/http/connection_table.h"
#include "agent/http/request_target.h"
#include "util/strings.h"
#include "util/work_pool.h"

namespace turnout::agent {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using ErrorCode = beast::error_code;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// How long a closing connection waits for its client to close too (TLS: its close_notify), so
// that an answer followed by unread bytes is not lost to a reset.
constexpr auto kLinger = std::chrono::seconds(1);

// What every connection shares: the options, the routes, the handler threads, the caps.
struct Shared {
  const HttpServerOptions& options;
  const Router& router;
  asio::io_context& io;
  util::WorkPool& pool;
  ConnectionTable& table;
  bool stopping = false;  // read and written on the I/O thread only
  int live_streams = 0;   // likewise
};

// The answer a route gave, or one the transport made, with what happens to the connection after.
struct Outgoing {
  HttpResponse response;
  bool keep_alive = true;
};

// Routes the request, through every route's protection: an exception is a 500 with its text
// only in the log (a route that answered before it threw has answered: `respond` ignores the 500).
void route_safely(const Router& router, HttpRequest request, const Respond& respond) {
  const std::string method = request.method;
  const std::string path = request.path;
  try {
    return router.route(std::move(request), respond);
  } catch (const std::exception& error) {
    spdlog::error("{} {}: {}", method, path, error.what());
  }
  respond(json_error(500, "internal error"));
}

// A route at most this large in its body is run on the I/O thread when it never blocks (the
// webhook: checking a push's signature and reading its fields take tens of microseconds); a
// larger one goes to a handler thread, so that no request holds every other connection.
constexpr std::size_t kInlineBody = 64 * 1024;

// One client connection, plain or TLS. Lives as long as an operation of its own holds it (a
// shared_ptr in each completion handler); all of it runs on the I/O thread but route().
template <class Stream>
class Connection : public TrackedConnection, public std::enable_shared_from_this<Connection<Stream>> {
 public:
  // `context`: the TLS context the stream is made with (kept: a reload replaces the server's), or none.
  template <class... StreamArgs>
  Connection(Shared& shared, std::string peer_address, std::shared_ptr<asio::ssl::context> context,
             StreamArgs&&... stream_args)
      : shared_(shared),
        context_(std::move(context)),
        stream_(std::forward<StreamArgs>(stream_args)...),
        live_timer_(shared.io) {
    peer = std::move(peer_address);
    last_active = Clock::now();
  }

  void start() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      socket_layer().expires_after(shared_.options.header_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](ErrorCode error) {
                                if (error) return self->finish();
                                self->await_request();
                              });
    } else {
      await_request();
    }
  }

  void evict() override {
    evicted_ = true;
    ErrorCode ignored;  // closing a socket the client already closed is not a failure
    socket_layer().socket().close(ignored);
  }

 private:
  beast::tcp_stream& socket_layer() { return beast::get_lowest_layer(stream_); }
  std::shared_ptr<Connection> self() { return this->shared_from_this(); }

  // Idle: waits for the first byte of the next request within idle_timeout.
  void await_request() {
    waiting_on_client = true;
    if (shared_.stopping || evicted_) return finish();
    if (buffer_.size() > 0) return read_header();
    buffer_.shrink_to_fit();  // an idle connection keeps no read buffer
    socket_layer().expires_after(shared_.options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = self()](ErrorCode error, std::size_t bytes) {
      if (error) return self->finish();
      self->buffer_.commit(bytes);
      self->last_active = Clock::now();
      self->read_header();
    });
  }

  // From the first byte, the request line and headers within header_timeout.
  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_.options.max_header_bytes));
    parser_->body_limit(shared_.options.max_body_bytes);
    socket_layer().expires_after(shared_.options.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_, [self = self()](ErrorCode error, std::size_t) {
      self->last_active = Clock::now();
      self->on_header(error);
    });
  }

  void on_header(ErrorCode error) {
    if (error == http::error::end_of_stream || error == beast::error::timeout || evicted_) return finish();
    if (error) return refuse_framing(error);
    auto target = parse_request_target(parser_->get().target());
    if (!target) return refuse(400, target.error().message);
    target_ = std::move(target.value());
    if (parser_->is_done()) return dispatch();
    // The client waits for our word before it sends the body (curl does for bodies over 1 KiB).
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) return send_continue();
    read_body();
  }

  void send_continue() {
    continue_.emplace(http::status::continue_, parser_->get().version());
    socket_layer().expires_after(shared_.options.send_timeout);
    http::async_write(stream_, *continue_, [self = self()](ErrorCode error, std::size_t) {
      if (error) return self->finish();
      self->read_body();
    });
  }

  // The body at min_body_rate on average, after a grace of header_timeout: a client trickling
  // bytes is cut off as soon as it falls behind, a large upload at a fair speed is not.
  void read_body() {
    body_started_ = Clock::now();
    body_received_ = 0;
    read_more_body();
  }

  void read_more_body() {
    const auto allowed = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
        static_cast<double>(body_received_) /
        static_cast<double>(std::max<std::size_t>(shared_.options.min_body_rate, 1))));
    socket_layer().expires_at(body_started_ + shared_.options.header_timeout + allowed);
    http::async_read_some(stream_, buffer_, *parser_, [self = self()](ErrorCode error, std::size_t bytes) {
      self->body_received_ += bytes;
      self->last_active = Clock::now();
      self->on_body(error);
    });
  }

  void on_body(ErrorCode error) {
    if (evicted_) return finish();
    if (error == beast::error::timeout) {
      return refuse(408,
                    "request body slower than " + std::to_string(shared_.options.min_body_rate) + " bytes/s");
    }
    if (error == http::error::end_of_stream || error == http::error::partial_message) {
      return refuse(400, "request body ended early, after " + std::to_string(body_received_) + " bytes");
    }
    if (error) return refuse_framing(error);
    if (parser_->is_done()) return dispatch();
    read_more_body();
  }

  // A request Beast could not read as HTTP: each kind of failure with its own status.
  void refuse_framing(ErrorCode error) {
    if (error == http::error::body_limit) {
      return refuse(413, "request body over " + std::to_string(shared_.options.max_body_bytes) + " bytes");
    }
    if (error == http::error::header_limit) {
      // Beast takes the request line as soon as it has ended: with no target yet, the request
      // line alone is past the limit (a 10 MB query string), which HTTP calls a URI too long.
      const std::string limit = std::to_string(shared_.options.max_header_bytes);
      if (parser_->get().target().empty()) return refuse(414, "request line over " + limit + " bytes");
      return refuse(431, "request headers over " + limit + " bytes");
    }
    refuse(400, "malformed request: " + error.message());
  }

  // An answer the transport gives itself; the rest of the request is never read, so the
  // connection ends after it.
  void refuse(int status, const std::string& reason) {
    const std::string path =
        target_.path.empty() && parser_ ? std::string(parser_->get().target()) : target_.path;
    spdlog::debug("{} refused {}: {}", path, status, reason);
    if (shared_.options.on_refused) shared_.options.on_refused(path, status);
    waiting_on_client = false;
    respond({json_error(status, reason), false});
  }

  HttpRequest take_request() {
    auto message = parser_->release();
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.path = std::move(target_.path);
    request.query = std::move(target_.query);
    for (const auto& field : message)
      request.headers[util::ascii_lower(field.name_string())] = std::string(field.value());
    request.body = std::move(message.body());
    keep_alive_ = message.keep_alive();
    version_ = message.version();
    parser_.reset();
    target_ = {};
    return request;
  }

  // On the I/O thread for a route that never blocks and a small body, else to a handler thread;
  // the answer comes back to the I/O thread. A full queue is a 503 at once.
  void dispatch() {
    waiting_on_client = false;
    HttpRequest request = take_request();
    const Respond respond = responder();
    if (request.body.size() <= kInlineBody && shared_.router.routes_without_blocking(request))
      return route_safely(shared_.router, std::move(request), respond);
    const std::string path = request.path;
    auto job = [router = &shared_.router, request = std::move(request), respond]() mutable {
      route_safely(*router, std::move(request), respond);
    };
    if (shared_.pool.try_submit(std::move(job))) return;
    if (shared_.options.on_refused) shared_.options.on_refused(path, 503);
    auto busy = json_error(503, "the agent is busy: try again in a second");
    busy.headers.emplace_back("Retry-After", "1");
    respond(std::move(busy));
  }

  // The way back from a route to this connection, from any thread: the answer is written on the
  // I/O thread. Only the first answer counts; one never given (a route that dropped its
  // Respond) is a 500 once the last copy goes, so no connection waits for nothing. It holds the
  // I/O context's work, so stop() waits for every answer owed.
  Respond responder() {
    struct Owed {
      std::shared_ptr<Connection> connection;
      asio::executor_work_guard<asio::io_context::executor_type> work;
      bool keep_alive;
      std::atomic<bool> answered{false};

      Owed(std::shared_ptr<Connection> owner,
           asio::executor_work_guard<asio::io_context::executor_type> guard, bool keep)
          : connection(std::move(owner)), work(std::move(guard)), keep_alive(keep) {}
      Owed(const Owed&) = delete;
      Owed& operator=(const Owed&) = delete;
      void answer(HttpResponse response) {
        if (answered.exchange(true)) return;
        auto& io = connection->shared_.io;
        // Moved into the post: the I/O thread then holds the last reference, and a connection
        // never ends on another thread.
        asio::post(io, [connection = std::move(connection),
                        outgoing = Outgoing{std::move(response), keep_alive}]() mutable {
          connection->respond(std::move(outgoing));
        });
      }
      ~Owed() {
        if (!answered) answer(json_error(500, "internal error: the request was dropped unanswered"));
      }
    };
    auto owed = std::make_shared<Owed>(self(), asio::make_work_guard(shared_.io), keep_alive_);
    return [owed](HttpResponse response) { owed->answer(std::move(response)); };
  }

  void respond(Outgoing answer) {
    keep_alive_ = answer.keep_alive && keep_alive_ && !shared_.stopping;
    if (answer.response.live) return respond_live(std::move(answer.response));
    if (answer.response.pieces) return respond_in_pieces(std::move(answer.response));
    auto& response = message_.emplace(static_cast<http::status>(answer.response.status), version_);
    fill_header(response, answer.response);
    response.body() = std::move(answer.response.body);
    response.prepare_payload();
    socket_layer().expires_after(shared_.options.send_timeout);
    http::async_write(stream_, response, [self = self()](ErrorCode error, std::size_t) {
      self->message_.reset();
      if (error) return self->finish();
      self->after_answer();
    });
  }

  template <class Message>
  void fill_header(Message& message, const HttpResponse& response) {
    message.set(http::field::server, "turnout");
    message.set(http::field::content_type, response.content_type);
    // Inserted, not set: a response may carry a field twice (two Set-Cookie).
    for (const auto& [name, value] : response.headers) message.insert(name, value);
    message.keep_alive(keep_alive_);
  }

  // The header, then each piece as a handler thread reads it (a log from disk) and the client
  // takes the one before: memory is one piece, whatever the size.
  void respond_in_pieces(HttpResponse response) {
    pieces_ = std::move(response.pieces);
    pieces_sent_ = 0;
    auto& header = header_.emplace(static_cast<http::status>(response.status), version_);
    fill_header(header, response);
    header.content_length(static_cast<std::uint64_t>(pieces_->length));
    serializer_.emplace(header);
    socket_layer().expires_after(shared_.options.send_timeout);
    http::async_write_header(stream_, *serializer_, [self = self()](ErrorCode error, std::size_t) {
      if (error) return self->end_pieces(false);
      self->next_piece();
    });
  }

  void next_piece() {
    if (pieces_sent_ >= pieces_->length) return end_pieces(true);
    const bool asked = off_io([](Connection& self) { return self.pieces_->next(self.piece_); },
                              [](Connection& self, bool got) { self.write_piece(got); });
    if (!asked) end_pieces(false);
  }

  // Runs `work` on a handler thread (it reads the disk), then `then` with its result back on the
  // I/O thread, which then holds the last reference: a connection never ends on a handler
  // thread. A continuation of an admitted answer, so never refused for a full queue; false
  // once the pool has stopped.
  template <class Work, class Then>
  bool off_io(Work work, Then then) {
    auto job = [self = self(), guard = asio::make_work_guard(shared_.io), work, then]() mutable {
      auto result = work(*self);
      auto& io = self->shared_.io;
      asio::post(io, [self = std::move(self), result, then]() mutable { then(*self, result); });
    };
    return shared_.pool.submit(std::move(job));
  }

  void write_piece(bool got) {
    if (!got || piece_.empty()) return end_pieces(false);
    socket_layer().expires_after(shared_.options.send_timeout);
    asio::async_write(stream_, asio::buffer(piece_), [self = self()](ErrorCode error, std::size_t bytes) {
      if (error) return self->end_pieces(false);
      self->pieces_sent_ += static_cast<std::int64_t>(bytes);
      self->next_piece();
    });
  }

  // When the pieces fall short of the length announced, the connection ends: the client sees
  // the answer end early rather than wait for the rest.
  void end_pieces(bool complete) {
    if (!complete) {
      spdlog::warn("answer cut short after {} of {} bytes", pieces_sent_, pieces_->length);
      keep_alive_ = false;
    }
    pieces_.reset();
    serializer_.reset();
    header_.reset();
    piece_ = std::string();
    after_answer();
  }

  // A live body: the header, then a chunk for each piece as it comes (HTTP/1.0: the bytes, and
  // the end of the body is the end of the connection). Between asks the connection holds a
  // timer and a wait on its socket, which tells when the client leaves.
  void respond_live(HttpResponse response) {
    if (shared_.live_streams >= shared_.options.max_live_streams) {
      auto busy = json_error(
          503, std::to_string(shared_.live_streams) + " live streams already: poll with ?offset= instead");
      busy.headers.emplace_back("Retry-After", "5");
      return respond({std::move(busy), keep_alive_});
    }
    ++shared_.live_streams;
    live_ = std::move(response.live);
    chunked_ = version_ >= 11;
    if (!chunked_) keep_alive_ = false;
    auto& header = header_.emplace(static_cast<http::status>(response.status), version_);
    fill_header(header, response);
    if (chunked_) header.chunked(true);
    serializer_.emplace(header);
    socket_layer().expires_after(shared_.options.send_timeout);
    http::async_write_header(stream_, *serializer_, [self = self()](ErrorCode error, std::size_t) {
      if (error) return self->end_live(false);
      self->last_sent_ = Clock::now();
      self->watch_client();
      self->ask_live();
    });
  }

  // The client sends nothing while it reads a live body: its socket turning readable means it
  // closed (or broke the protocol); either way the stream ends.
  void watch_client() {
    const auto generation = ++watch_generation_;
    socket_layer().socket().async_wait(tcp::socket::wait_read, [self = self(), generation](ErrorCode error) {
      if (error == asio::error::operation_aborted || generation != self->watch_generation_) return;
      self->client_left_ = true;
      self->live_timer_.cancel();
    });
  }

  void ask_live() {
    if (shared_.stopping || client_left_ || evicted_) return end_live(false);
    const bool asked = off_io([](Connection& self) { return self.live_->next(self.piece_); },
                              [](Connection& self, LiveStep step) { self.on_live(step); });
    if (!asked) end_live(false);
  }

  void on_live(LiveStep step) {
    if (client_left_ || evicted_) return end_live(false);
    if (!piece_.empty()) return write_live(step, piece_);
    if (step == LiveStep::end) return end_live(true);
    if (step == LiveStep::more) return ask_live();
    wait_live();
  }

  void wait_live() {
    const bool beat = !live_->heartbeat.empty() && Clock::now() - last_sent_ >= live_->heartbeat_after;
    if (beat) return write_live(LiveStep::wait, live_->heartbeat);
    live_timer_.expires_after(live_->poll);
    live_timer_.async_wait([self = self()](ErrorCode) { self->ask_live(); });
  }

  void write_live(LiveStep step, const std::string& bytes) {
    auto done = [self = self(), step](ErrorCode error, std::size_t) {
      if (error) return self->end_live(false);
      self->last_sent_ = Clock::now();
      if (step == LiveStep::end) return self->end_live(true);
      if (step == LiveStep::more) return self->ask_live();
      self->live_timer_.expires_after(self->live_->poll);
      self->live_timer_.async_wait([self](ErrorCode) { self->ask_live(); });
    };
    socket_layer().expires_after(shared_.options.send_timeout);
    if (chunked_) return asio::async_write(stream_, http::make_chunk(asio::buffer(bytes)), std::move(done));
    asio::async_write(stream_, asio::buffer(bytes), std::move(done));
  }

  // The last chunk when the body is complete; a stream cut short (the client left, the server
  // stops) ends the connection instead, so the client never takes a part for the whole.
  void end_live(bool complete) {
    if (!live_) return;
    live_.reset();
    --shared_.live_streams;
    ++watch_generation_;
    ErrorCode ignored;  // nothing to cancel when the wait already ended
    socket_layer().socket().cancel(ignored);
    live_timer_.cancel();
    serializer_.reset();
    header_.reset();
    piece_ = std::string();
    if (!complete || !chunked_) {
      keep_alive_ = false;
      return after_answer();
    }
    socket_layer().expires_after(shared_.options.send_timeout);
    asio::async_write(stream_, http::make_chunk_last(), [self = self()](ErrorCode error, std::size_t) {
      if (error) return self->finish();
      self->after_answer();
    });
  }

  void after_answer() {
    if (keep_alive_ && !shared_.stopping && !evicted_) return await_request();
    close_gracefully();
  }

  // Tells the client we are done, then waits a moment for it to close too before closing.
  void close_gracefully() {
    waiting_on_client = true;
    socket_layer().expires_after(kLinger);
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      stream_.async_shutdown([self = self()](ErrorCode) { self->finish(); });
    } else {
      ErrorCode ignored;  // a client that closed first has nothing left to tell
      socket_layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
      drain();
    }
  }

  void drain() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(4096), [self = self()](ErrorCode error, std::size_t) {
      if (error) return self->finish();
      self->drain();
    });
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    shared_.table.remove(*this);
    ErrorCode ignored;  // the socket may be closed already (evicted, or by the timeout)
    socket_layer().socket().close(ignored);
  }

  Shared& shared_;
  std::shared_ptr<asio::ssl::context> context_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  RequestTarget target_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  bool evicted_ = false;
  bool finished_ = false;
  Clock::time_point body_started_;
  std::size_t body_received_ = 0;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::string_body>> message_;
  std::optional<http::response<http::empty_body>> header_;
  std::optional<http::response_serializer<http::empty_body>> serializer_;
  std::optional<BodyPieces> pieces_;
  std::int64_t pieces_sent_ = 0;
  std::string piece_;
  asio::steady_timer live_timer_;
  std::shared_ptr<LiveBody> live_;
  bool chunked_ = true;
  bool client_left_ = false;
  unsigned watch_generation_ = 0;
  Clock::time_point last_sent_;
};

// Bound and listening. SO_REUSEADDR but not SO_REUSEPORT: with it, a second agent on the same
// address would start and share the connections instead of failing.
util::Status listen_on(tcp::acceptor& acceptor, const HttpServerOptions& options) {
  const std::string where = options.host + ":" + std::to_string(options.port);
  ErrorCode error;
  const auto address = asio::ip::make_address(options.host, error);
  if (error) return util::fail("cannot listen on " + where + ": " + options.host + " is not an IP address");
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (!error) return util::Ok{};
  return util::fail("cannot listen on " + where + ": " + error.message() +
                    ": is another process using the port? choose another `listen:`");
}

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> running = asio::make_work_guard(io);
  tcp::acceptor acceptor{io};
  std::shared_ptr<asio::ssl::context> tls;
  util::WorkPool pool;
  ConnectionTable table;
  Shared shared;
  std::thread io_thread;
  int port = 0;
  bool stopped = false;

  Impl(const HttpServerOptions& given, const Router& router)
      : options(given),
        pool("http", static_cast<std::size_t>(std::max(given.threads, 1)),
             static_cast<std::size_t>(std::max(given.max_queued, 0))),
        table(static_cast<std::size_t>(std::max(given.max_connections, 1)),
              static_cast<std::size_t>(std::max(given.max_connections_per_peer, 0))),
        shared{options, router, io, pool, table} {}

  void accept() {
    acceptor.async_accept([this](ErrorCode error, tcp::socket socket) {
      if (error == asio::error::operation_aborted || shared.stopping) return;
      if (!error) admit(std::move(socket));
      accept();
    });
  }

  void admit(tcp::socket socket) {
    ErrorCode error;
    const auto remote = socket.remote_endpoint(error);
    if (error) return;  // gone before we looked: nothing to serve
    const std::string peer = remote.address().to_string();
    if (!table.make_room(peer)) {
      spdlog::warn("refused a connection from {}: {} connections open, all busy", peer, table.size());
      return;
    }
    socket.set_option(tcp::no_delay(true), error);  // answers are small: send them at once
    if (tls) {
      open(std::make_shared<Connection<TlsStream>>(shared, peer, tls, std::move(socket), *tls));
    } else {
      open(std::make_shared<Connection<PlainStream>>(shared, peer, nullptr, std::move(socket)));
    }
  }

  template <class Stream>
  void open(std::shared_ptr<Connection<Stream>> connection) {
    table.add(*connection);
    connection->start();
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

// Asio's context for the OpenSSL context built and checked by server_tls_context (Asio frees it).
util::Result<std::shared_ptr<asio::ssl::context>> load_tls(const TlsFiles& files) {
  auto context = server_tls_context(files);
  if (!context) return context.error();
  return std::make_shared<asio::ssl::context>(context.value().release());
}

util::Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpServerOptions& options,
                                                            const Router& router) {
  auto impl = std::make_unique<Impl>(options, router);
  if (options.tls) {
    auto context = load_tls(*options.tls);
    if (!context) return context.error();
    impl->tls = std::move(context.value());
  }
  if (auto listening = listen_on(impl->acceptor, options); !listening) return listening.error();
  impl->port = impl->acceptor.local_endpoint().port();
  impl->accept();
  Impl* running = impl.get();
  impl->io_thread = std::thread([running] {
    ::pthread_setname_np(::pthread_self(), "http-io");
    running->io.run();
  });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

util::Status HttpServer::reload_tls() {
  if (!impl_->options.tls) return util::Ok{};
  auto context = load_tls(*impl_->options.tls);
  if (!context) return context.error();
  // The I/O thread alone reads `tls`; a connection keeps the context it started with.
  asio::post(impl_->io, [impl = impl_.get(), fresh = std::move(context.value())]() mutable {
    impl->tls = std::move(fresh);
  });
  return util::Ok{};
}

int HttpServer::port() const { return impl_->port; }

void HttpServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  Impl& impl = *impl_;
  asio::post(impl.io, [&impl] {
    impl.shared.stopping = true;
    ErrorCode ignored;  // closing the acceptor only ends the accept loop
    impl.acceptor.close(ignored);
    impl.table.evict_waiting();
  });
  // run() returns once the last connection is closed and no handler is at work.
  impl.running.reset();
  impl.io_thread.join();
  impl.pool.stop();
}

}  // namespace turnout::agent
