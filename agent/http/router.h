#pragma once
// Method + path -> handler, so the transport (HttpServer) knows no route and a route knows no
// socket. Paths are patterns of segments; `{name}` matches one segment and is captured.

#include <cstdint>
#include <functional>
#include <map>
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

/// An answer: status and a body (JSON unless content_type says otherwise).
struct HttpResponse {
  int status = 200;                                            ///< HTTP status
  std::string body;                                            ///< the whole body
  std::string content_type = "application/json";               ///< its type
  std::vector<std::pair<std::string, std::string>> headers{};  ///< more headers (Content-Range, ...)
  std::optional<BodyPieces> pieces{};                          ///< given: the body, instead of `body`
};

/// `{"error": message}` with `status`.
HttpResponse json_error(int status, const std::string& message);

/// Handles one routed request. May throw: the server turns an exception into a 500.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

/// The table of routes.
class Router {
 public:
  /// Adds a route: `method` and a `pattern` like `/api/runs/{id}`.
  void add(const std::string& method, const std::string& pattern, HttpHandler handler);
  /// The response of the first route that matches (its params filled in); 404 JSON when no
  /// path matches, 405 when the path matches under another method.
  HttpResponse route(HttpRequest request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    HttpHandler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace turnout::agent
