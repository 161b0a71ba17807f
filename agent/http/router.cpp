#include "agent/http/router.h"

#include <Poco/JSON/Object.h>

#include <algorithm>
#include <future>
#include <sstream>

namespace turnout::agent {

namespace {

// The non-empty segments between slashes: every request's path is split once or twice (which
// thread routes it, then the route), so no stream is built for it.
std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start < path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    if (end > start) segments.emplace_back(path, start, end - start);
    start = end + 1;
  }
  return segments;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// True when `path` fits `pattern`; the `{name}` segments are stored in `params`.
bool match(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
           std::map<std::string, std::string>& params) {
  if (pattern.size() != path.size()) return false;
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (is_param(pattern[i])) {
      found[pattern[i].substr(1, pattern[i].size() - 2)] = path[i];
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

}  // namespace

std::string HttpRequest::header(const std::string& name) const {
  const auto found = headers.find(name);
  return found == headers.end() ? std::string() : found->second;
}

HttpResponse json_error(int status, const std::string& message) {
  Poco::JSON::Object body;
  body.set("error", message);
  std::ostringstream text;
  body.stringify(text);
  return {status, text.str()};
}

void Router::add(const std::string& method, const std::string& pattern, HttpHandler handler) {
  routes_.push_back({method, split_path(pattern), std::move(handler), {}});
}

void Router::add_async(const std::string& method, const std::string& pattern, AsyncHttpHandler handler) {
  routes_.push_back({method, split_path(pattern), {}, std::move(handler)});
}

// The first route whose pattern and method match, with its params; `path_known` says whether
// a pattern matched under another method (405, not 404).
const Router::Route* Router::find(const HttpRequest& request, std::map<std::string, std::string>& params,
                                  bool& path_known) const {
  const auto path = split_path(request.path);
  path_known = false;
  for (const auto& route : routes_) {
    if (!match(route.segments, path, params)) continue;
    path_known = true;
    if (route.method == request.method) return &route;
  }
  return nullptr;
}

HttpResponse Router::unrouted(const HttpRequest& request, bool path_known) const {
  if (path_known) return json_error(405, "method " + request.method + " not allowed on " + request.path);
  if (not_found_) return not_found_(request);
  return json_error(404, "no such endpoint: " + request.method + " " + request.path);
}

void Router::route(HttpRequest request, const Respond& respond) const {
  bool path_known = false;
  std::map<std::string, std::string> params;
  const Route* found = find(request, params, path_known);
  if (found == nullptr) return respond(unrouted(request, path_known));
  request.params = std::move(params);
  if (found->async_handler) return found->async_handler(request, respond);
  respond(found->handler(request));
}

HttpResponse Router::route(HttpRequest request) const {
  std::promise<HttpResponse> promise;
  auto answer = promise.get_future();
  route(std::move(request), [&promise](HttpResponse response) { promise.set_value(std::move(response)); });
  return answer.get();
}

bool Router::routes_without_blocking(const HttpRequest& request) const {
  bool path_known = false;
  std::map<std::string, std::string> params;
  const Route* found = find(request, params, path_known);
  return found != nullptr && found->async_handler;
}

}  // namespace turnout::agent
