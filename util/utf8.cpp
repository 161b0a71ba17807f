#include "util/utf8.h"

#include <cstdint>
#include <cstring>

namespace turnout::util {

namespace {

// The length of the well-formed sequence at `at` (1 for ASCII), or 0 when it is not one. The
// range of the second byte rules out overlong forms, surrogates and code points past U+10FFFF;
// later bytes are 80..BF.
std::size_t sequence_length(const unsigned char* bytes, std::size_t size, std::size_t at) {
  const unsigned char lead = bytes[at];
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (at + length > size || bytes[at + 1] < low || bytes[at + 1] > high) return 0;
  for (std::size_t i = 2; i < length; ++i)
    if ((bytes[at + i] & 0xc0) != 0x80) return 0;
  return length;
}

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

std::size_t first_invalid_utf8(std::string_view text) {
  const auto* bytes = bytes_of(text);
  std::size_t at = 0;
  while (at < text.size()) {
    // ASCII, eight bytes at a time: what is checked (a webhook, say) is almost all ASCII.
    while (at + 8 <= text.size()) {
      std::uint64_t word = 0;
      std::memcpy(&word, bytes + at, sizeof word);
      if ((word & 0x8080808080808080ULL) != 0) break;
      at += 8;
    }
    if (at >= text.size()) break;
    const std::size_t length = sequence_length(bytes, text.size(), at);
    if (length == 0) return at;
    at += length;
  }
  return std::string_view::npos;
}

std::size_t next_character(std::string_view text, std::size_t at) {
  const std::size_t length = sequence_length(bytes_of(text), text.size(), at);
  return at + (length == 0 ? 1 : length);
}

std::size_t characters_prefix(std::string_view text, std::size_t count) {
  std::size_t at = 0;
  for (std::size_t characters = 0; characters < count && at < text.size(); ++characters)
    at = next_character(text, at);
  return at;
}

}  // namespace turnout::util
