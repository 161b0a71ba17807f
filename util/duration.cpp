#include "util/duration.h"

#include <charconv>
#include <cstdio>

namespace turnout::util {

std::optional<Duration> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9) return std::nullopt;
  long long number = 0;
  std::from_chars(text.data(), text.data() + digits, number);
  const std::string_view unit = text.substr(digits);
  if (unit == "ms") return Duration(number);
  if (unit == "s") return Duration(number * 1000);
  if (unit == "m") return Duration(number * 60 * 1000);
  if (unit == "h") return Duration(number * 3600 * 1000);
  return std::nullopt;
}

std::string format_duration(Duration duration) {
  const long long ms = duration.count();
  char buffer[32];
  if (ms < 1000) {
    std::snprintf(buffer, sizeof buffer, "%lldms", ms);
  } else if (ms < 60 * 1000) {
    std::snprintf(buffer, sizeof buffer, "%.1fs", static_cast<double>(ms) / 1000.0);
  } else if (ms < 3600 * 1000) {
    std::snprintf(buffer, sizeof buffer, "%lldm%02llds", ms / 60000, (ms / 1000) % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%lldh%02lldm", ms / 3600000, (ms / 60000) % 60);
  }
  return buffer;
}

}  // namespace turnout::util
