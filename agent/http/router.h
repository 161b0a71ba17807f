#pragma once
// Method + path -> handler, so the transport (HttpServer) knows no route and a route knows no
// socket. Paths are patterns of segments; `{name}` matches one segment and is captured.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace turnout::agent {

/// A request as the routes see it: read completely, headers by lower-case name.
struct HttpRequest {
  std::string method;                          ///< GET, POST, ...
  std::string path;                            ///< without the query
  std::map<std::string, std::string> query;    ///< decoded query parameters
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;                            ///< the whole body
  std::map<std::string, std::string> params;   ///< `{name}` segments of the matched pattern

  /// The header's value, "" when absent; `name` in lower case.
  std::string header(const std::string& name) const;
};

/// A body handed over piece by piece, so that a large one (a run's log) is never held whole.
struct BodyPieces {
  std::int64_t length = 0;  ///< its length in bytes (Content-Length): the pieces add up to it
  /// Puts the next piece in `piece` (reusing its buffer); false when there is none left, or when
  /// the rest cannot be read (the transport then ends the connection: the length is not kept).
  std::function<bool(std::string& piece)> next;
};

/// What a live body had when asked: the transport writes the piece it gave (if any), then asks
/// again at once (`more`), after its poll interval (`wait`), or ends the answer (`end`).
enum class LiveStep { more, wait, end };

/// A body of unknown length sent as it grows (a running run's log), in chunks: the transport
/// asks for it on a handler thread and waits between asks on a timer, so a follower that waits
/// costs a timer, not a thread.
struct LiveBody {
  /// Replaces `piece` with what there is now (it may be nothing). Called on a handler thread,
  /// one call at a time; must not block.
  std::function<LiveStep(std::string& piece)> next;
  std::chrono::milliseconds poll{250};  ///< how long the transport waits after `wait`
  /// Sent after `heartbeat_after` without a piece, so a proxy in between keeps the stream
  /// open and a client that left is found out; "" for none.
  std::string heartbeat{};
  std::chrono::milliseconds heartbeat_after{15000};  ///< see heartbeat
};

/// An answer: status and a body (JSON unless content_type says otherwise).
struct HttpResponse {
  int status = 200;                                            ///< HTTP status
  std::string body;                                            ///< the whole body
  std::string content_type = "application/json";               ///< its type
  std::vector<std::pair<std::string, std::string>> headers{};  ///< more headers (Content-Range, ...)
  std::optional<BodyPieces> pieces{};                          ///< given: the body, instead of `body`
  std::shared_ptr<LiveBody> live{};  ///< given: a body sent as it grows, instead of `body`
};

/// `{"error": message}` with `status`.
HttpResponse json_error(int status, const std::string& message);

/// Handles one routed request. May throw: the server turns an exception into a 500.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

/// Delivers a route's answer: called once, from any thread (later calls are ignored).
using Respond = std::function<void(HttpResponse)>;

/// A route that answers later without a thread waiting meanwhile (the webhook: its answer waits
/// for the store's group commit), through `respond`. It must not block: the server runs it on
/// its I/O thread when the request's body is small. May throw before it responds: a 500.
using AsyncHttpHandler = std::function<void(const HttpRequest&, Respond respond)>;

/// The table of routes.
class Router {
 public:
  /// Adds a route: `method` and a `pattern` like `/api/runs/{id}`.
  void add(const std::string& method, const std::string& pattern, HttpHandler handler);
  /// Adds a route that answers through a Respond, and never blocks.
  void add_async(const std::string& method, const std::string& pattern, AsyncHttpHandler handler);
  /// Answers through `respond` with the first route that matches (its params filled in): at
  /// once, or later for a route added with add_async. 404 JSON when no path matches, 405 when
  /// the path matches under another method.
  void route(HttpRequest request, const Respond& respond) const;
  /// route(), waiting for the answer.
  HttpResponse route(HttpRequest request) const;
  /// True when the request goes to a route added with add_async, which never blocks.
  bool routes_without_blocking(const HttpRequest& request) const;
  /// Answers the requests whose path no route matches (the dashboard's HTML 404), instead of
  /// the 404 JSON.
  void set_not_found(HttpHandler handler) { not_found_ = std::move(handler); }

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    HttpHandler handler;  // one of the two
    AsyncHttpHandler async_handler;
  };
  const Route* find(const HttpRequest& request, std::map<std::string, std::string>& params,
                    bool& path_known) const;
  HttpResponse unrouted(const HttpRequest& request, bool path_known) const;
  std::vector<Route> routes_;
  HttpHandler not_found_;
};

}  // namespace turnout::agent
