#include "agent/http/byte_range.h"

#include <algorithm>
#include <charconv>
#include <optional>

namespace turnout::agent {

namespace {

// A number of bytes, or nullopt for anything else ("", "1x", "-1").
std::optional<std::int64_t> bytes(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < 0)
    return std::nullopt;
  return value;
}

ByteRange part(std::int64_t first, std::int64_t last) { return {ByteRange::Kind::part, first, last}; }

ByteRange unsatisfiable() { return {ByteRange::Kind::unsatisfiable}; }

}  // namespace

ByteRange resolve_range(const std::string& header, std::int64_t size) {
  const std::string unit = "bytes=";
  if (header.compare(0, unit.size(), unit) != 0) return {};
  const std::string spec = header.substr(unit.size());
  const auto dash = spec.find('-');
  if (dash == std::string::npos) return {};
  const auto first = bytes(spec.substr(0, dash));
  const auto last = bytes(spec.substr(dash + 1));
  if (dash == 0) {
    // The last N bytes: all of them when N is more than there are; none exists for N = 0.
    if (!last) return {};
    if (*last == 0 || size == 0) return unsatisfiable();
    return part(std::max<std::int64_t>(0, size - *last), size - 1);
  }
  if (!first || (dash + 1 < spec.size() && (!last || *last < *first))) return {};
  if (*first >= size) return unsatisfiable();
  return part(*first, last ? std::min(*last, size - 1) : size - 1);
}

}  // namespace turnout::agent
