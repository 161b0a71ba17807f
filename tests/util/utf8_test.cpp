#include "util/utf8.h"

#include <catch2/catch.hpp>
#include <string>

using namespace turnout::util;

TEST_CASE("well-formed UTF-8 has no invalid byte", "[unit][util]") {
  for (const std::string text : {"", "plain ASCII, longer than eight bytes", "caf\xC3\xA9", "\xE2\x80\xA6",
                                 "\xF0\x9F\x9A\x82 train", "\xEF\xBF\xBF", "\xF4\x8F\xBF\xBF"}) {
    INFO(text);
    CHECK(first_invalid_utf8(text) == std::string_view::npos);
  }
}

TEST_CASE("the first byte that is no UTF-8 is found, after a run of ASCII too", "[unit][util]") {
  const std::pair<std::string, std::size_t> cases[] = {
      {"\x80", 0},                      // a continuation byte alone
      {"abc\xC3", 3},                   // cut short
      {"\xC0\x80", 0},                  // overlong NUL
      {"\xE0\x80\x80", 0},              // overlong 3-byte form
      {"\xED\xA0\x80", 0},              // a UTF-16 surrogate
      {"\xF4\x90\x80\x80", 0},          // past U+10FFFF
      {"\xF5\x80\x80\x80", 0},          // no such lead byte
      {"0123456789abcdef\xFF", 16},     // after two ASCII words
      {"caf\xC3\xA9 \xE2\x28\xA1", 6},  // a broken 3-byte sequence
  };
  for (const auto& [text, at] : cases) {
    INFO(text);
    CHECK(first_invalid_utf8(text) == at);
  }
}

TEST_CASE("characters are whole sequences, a broken byte is one character", "[unit][util]") {
  const std::string text = "a\xC3\xA9\xE2\x80\xA6\xF0\x9F\x9A\x82\xFF";
  CHECK(next_character(text, 0) == 1);
  CHECK(next_character(text, 1) == 3);
  CHECK(next_character(text, 3) == 6);
  CHECK(next_character(text, 6) == 10);
  CHECK(next_character(text, 10) == 11);
  CHECK(next_character("\xE2\x80", 0) == 1);  // cut short: its first byte alone
}

TEST_CASE("a prefix of N characters ends on a character boundary", "[unit][util]") {
  const std::string text = "caf\xC3\xA9!";
  CHECK(characters_prefix(text, 0) == 0);
  CHECK(characters_prefix(text, 3) == 3);
  CHECK(characters_prefix(text, 4) == 5);
  CHECK(characters_prefix(text, 5) == 6);
  CHECK(characters_prefix(text, 99) == text.size());
}
