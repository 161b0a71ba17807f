#pragma once
// UTF-8 (RFC 3629): the one check of it, and the one way to count and cut its characters.

#include <cstddef>
#include <string_view>

namespace turnout::util {

/// The offset of the first byte of `text` that does not belong to well-formed UTF-8 (no overlong
/// forms, no surrogates, nothing past U+10FFFF), or npos when all of it is well-formed.
std::size_t first_invalid_utf8(std::string_view text);

/// Where the character that starts at byte `at` of `text` ends: after its whole sequence when
/// that is well-formed, else after its first byte (a broken byte is a character of its own).
std::size_t next_character(std::string_view text, std::size_t at);

/// The length in bytes of the first `count` characters of `text` (as next_character counts
/// them); the whole length when `text` has no more than `count`.
std::size_t characters_prefix(std::string_view text, std::size_t count);

}  // namespace turnout::util
