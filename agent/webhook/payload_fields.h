#pragma once
// A few fields of a JSON webhook payload, read in one pass without building its tree. A push is
// ~10 KB of which the intake needs a dozen values: a DOM of it cost more than everything else
// the intake does for a delivery (a Poco::Dynamic::Var and its allocations per value).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace turnout::agent {

/// What the payload held at one path.
struct PayloadValue {
  /// The JSON type of the value, as far as the intake cares.
  enum class Kind {
    absent,     ///< no such key (or its parent is not an object)
    string,     ///< `text` holds it, escapes decoded
    boolean,    ///< `flag` holds it
    integer,    ///< `integer` holds it (a number without fraction or exponent, within int64)
    too_large,  ///< an integer past int64's range (up to 2^64 - 1)
    other,      ///< null, an object, an array, or another number
  };
  Kind kind = Kind::absent;  ///< which member below holds the value
  std::string text;          ///< kind == string
  bool flag = false;         ///< kind == boolean
  std::int64_t integer = 0;  ///< kind == integer
};

/// A path into a payload: a key of the top-level object (`parent` "") or a key of an object
/// that the top-level object holds under `parent` (`repository` . `full_name`).
struct PayloadPath {
  std::string_view parent;  ///< "" for a top-level key
  std::string_view key;     ///< the key itself
};

/// Reads the value at each of `paths` (the result is in their order). A key that appears twice
/// in an object counts with its last value, and a later `parent` replaces all of an earlier
/// one's fields, as a DOM would have it. Fails with ErrorKind::invalid when `body` is not one
/// JSON value ("is not valid JSON: <the parser's reason> (at byte N)"), is nested deeper than 128
/// objects and arrays, or is not an object ("must be a JSON object").
util::Result<std::vector<PayloadValue>> read_payload_fields(std::string_view body,
                                                            std::span<const PayloadPath> paths);

}  // namespace turnout::agent
