#include "util/masked_token.h"

namespace turnout::util {

namespace {

const char kDigits[] = "0123456789abcdef";

// The value of a lowercase hex digit; -1 for anything else.
int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string mask_token(std::string_view token, std::string_view pad) {
  std::string masked(pad.substr(0, token.size()));
  for (std::size_t i = 0; i < token.size(); ++i)
    masked += kDigits[(digit_value(token[i]) + digit_value(pad[i])) & 15];
  return masked;
}

std::optional<std::string> unmask_token(std::string_view masked) {
  if (masked.empty() || masked.size() % 2 != 0) return std::nullopt;
  const std::size_t half = masked.size() / 2;
  std::string token;
  token.reserve(half);
  for (std::size_t i = 0; i < half; ++i) {
    const int pad = digit_value(masked[i]);
    const int sum = digit_value(masked[half + i]);
    if (pad < 0 || sum < 0) return std::nullopt;
    token += kDigits[(sum - pad + 16) & 15];
  }
  return token;
}

}  // namespace turnout::util
