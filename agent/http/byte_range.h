#pragma once
// The `Range: bytes=...` request header (RFC 9110, section 14), for a resource served in
// pieces. One range only: a server may ignore a Range it does not support, and a multipart
// answer is not worth its weight for a log.

#include <cstdint>
#include <string>

namespace turnout::agent {

/// What a Range header asks of a resource of a known size.
struct ByteRange {
  /// whole: no Range, or one this server ignores (another unit, several ranges, bad syntax);
  /// part: bytes first..last; unsatisfiable: none of the bytes asked for exists (416).
  enum class Kind { whole, part, unsatisfiable };
  Kind kind = Kind::whole;  ///< see Kind
  std::int64_t first = 0;   ///< with part: the first byte served
  std::int64_t last = -1;   ///< with part: the last byte served (inclusive, below the size)
};

/// Resolves `header` ("" when the request has none) against a resource of `size` bytes:
/// `bytes=A-B` (B cut to the end), `bytes=A-` and `bytes=-N` (the last N bytes).
ByteRange resolve_range(const std::string& header, std::int64_t size);

}  // namespace turnout::agent
