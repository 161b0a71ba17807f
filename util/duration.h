#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace turnout::util {

/// Durations are kept in milliseconds everywhere in turnout.
using Duration = std::chrono::milliseconds;

/// Parses `500ms`, `10s`, `5m`, `1h` (a whole number and one unit; `0s` allowed).
/// Returns nullopt for anything else, including negative numbers, fractions and overflow.
std::optional<Duration> parse_duration(std::string_view text);

/// Formats a duration for people: `850ms`, `4.2s`, `3m05s`, `1h02m`.
std::string format_duration(Duration duration);

}  // namespace turnout::util
