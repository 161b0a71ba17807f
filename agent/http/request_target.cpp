#include "agent/http/request_target.h"

#include "util/percent_encoding.h"

namespace turnout::agent {

namespace {

util::Error bad_escape(std::string_view what) {
  return util::fail(
      "bad percent-escape in the URL's " + std::string(what) + " (a % must be followed by two hex digits)",
      util::ErrorKind::invalid);
}

}  // namespace

util::Result<RequestTarget> parse_request_target(std::string_view target) {
  if (target.empty() || target.front() != '/')
    return util::fail("the request target must be a path starting with /", util::ErrorKind::invalid);
  RequestTarget out;
  const auto mark = target.find('?');
  auto path = util::percent_decode(target.substr(0, mark));
  if (!path) return bad_escape("path");
  out.path = std::move(*path);
  if (mark == std::string_view::npos) return out;
  std::string_view query = target.substr(mark + 1);
  while (!query.empty()) {
    const auto end = query.find('&');
    const std::string_view pair = query.substr(0, end);
    query = end == std::string_view::npos ? std::string_view() : query.substr(end + 1);
    if (pair.empty()) continue;
    const auto equals = pair.find('=');
    auto name = util::percent_decode(pair.substr(0, equals), true);
    auto value = util::percent_decode(equals == std::string_view::npos ? "" : pair.substr(equals + 1), true);
    if (!name || !value) return bad_escape("query");
    out.query[std::move(*name)] = std::move(*value);
  }
  return out;
}

}  // namespace turnout::agent
