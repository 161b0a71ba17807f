#pragma once
// The request target of an HTTP request (`/api/runs?limit=5`), split and decoded for the routes.

#include <map>
#include <string>
#include <string_view>

#include "util/result.h"

namespace turnout::agent {

/// A request target's path and query parameters, percent-decoded.
struct RequestTarget {
  std::string path;                          ///< decoded, without the query
  std::map<std::string, std::string> query;  ///< decoded names and values; the last of a repeated name
};

/// Splits `target` at `?` and decodes both parts (`+` is a space in the query, as forms send it).
/// Fails with ErrorKind::invalid naming the part when a `%` is not followed by two hex digits,
/// or when the target is not a path (it must start with `/`).
util::Result<RequestTarget> parse_request_target(std::string_view target);

}  // namespace turnout::agent
