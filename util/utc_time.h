#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace turnout::util {

/// `time` as ISO-8601 UTC with milliseconds: `2026-11-22T10:00:00.123Z`.
std::string format_utc(std::chrono::system_clock::time_point time);

/// Now, as format_utc writes it: the one clock every recorded time stamp comes from.
std::string utc_now();

/// The time written by format_utc (milliseconds optional); nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view text);

}  // namespace turnout::util
