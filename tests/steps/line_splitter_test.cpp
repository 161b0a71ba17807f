#include "steps/line_splitter.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

using turnout::steps::LineSplitter;
using turnout::steps::SecretMasker;

namespace {

// Feeds `input` in chunks of `chunk` bytes (0 = all at once), then finishes; returns what came out.
std::vector<std::string> split(const SecretMasker& masker, std::string_view input, std::size_t chunk = 0,
                               std::size_t max_line = 64 * 1024) {
  LineSplitter splitter(masker, max_line);
  std::vector<std::string> lines;
  const LineSplitter::Sink sink = [&lines](std::string_view line) { lines.emplace_back(line); };
  if (chunk == 0) chunk = input.size() + 1;
  for (std::size_t at = 0; at < input.size(); at += chunk) splitter.feed(input.substr(at, chunk), sink);
  splitter.finish(sink);
  return lines;
}

std::string concat(const std::vector<std::string>& pieces) {
  std::string all;
  for (const auto& piece : pieces) all += piece;
  return all;
}

std::string masked(const SecretMasker& masker, std::string text) {
  masker.mask(text);
  return text;
}

}  // namespace

TEST_CASE("LineSplitter splits lines and keeps a trailing carriage return", "[unit][steps]") {
  const SecretMasker none;
  CHECK(split(none, "one\ntwo\r\n\nfour\n") == std::vector<std::string>{"one", "two\r", "", "four"});
  CHECK(split(none, "").empty());
  CHECK(split(none, "\n") == std::vector<std::string>{""});
}

TEST_CASE("LineSplitter emits a partial last line on finish", "[unit][steps]") {
  const SecretMasker none;
  CHECK(split(none, "a\nb") == std::vector<std::string>{"a", "b"});
  CHECK(split(none, "no newline at all") == std::vector<std::string>{"no newline at all"});
}

TEST_CASE("LineSplitter gives the same lines whatever the chunking", "[unit][steps]") {
  const SecretMasker masker({"s3cr3t"});
  const std::string input = "first s3cr3t\nsecond\n\nthird s3cr3ts3cr3t end\nlast s3c";
  const auto whole = split(masker, input);
  CHECK(whole == std::vector<std::string>{"first ***", "second", "", "third ****** end", "last s3c"});
  for (std::size_t chunk = 1; chunk <= input.size(); ++chunk) {
    INFO("chunk " << chunk);
    CHECK(split(masker, input, chunk) == whole);
  }
}

TEST_CASE("LineSplitter masks a secret split across feed calls", "[unit][steps]") {
  const SecretMasker masker({"abcdef"});
  LineSplitter splitter(masker);
  std::vector<std::string> lines;
  const LineSplitter::Sink sink = [&lines](std::string_view line) { lines.emplace_back(line); };
  splitter.feed("xxabc", sink);
  CHECK(lines.empty());
  splitter.feed("defyy\nab", sink);
  splitter.feed("cdef", sink);
  splitter.finish(sink);
  CHECK(lines == std::vector<std::string>{"xx***yy", "***"});
}

TEST_CASE("LineSplitter cuts a long line into pieces of at most max_line", "[unit][steps]") {
  const SecretMasker none;
  std::string input(100, 'x');
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = static_cast<char>('a' + i % 26);
  for (std::size_t chunk : {0, 1, 7, 16, 17}) {
    INFO("chunk " << chunk);
    const auto pieces = split(none, input + "\nnext\n", chunk, 16);
    REQUIRE(pieces.size() == 8);  // 6 x 16 + 4, then "next"
    CHECK(pieces.back() == "next");
    CHECK(concat({pieces.begin(), pieces.end() - 1}) == input);
    for (const auto& piece : pieces) CHECK(piece.size() <= 16);
  }
}

TEST_CASE("LineSplitter never cuts inside a secret", "[unit][steps]") {
  const SecretMasker masker({"SECRET12"});
  // The natural cut (at 20) would fall inside the secret, which sits at 15..23.
  const std::string input = std::string(15, 'a') + "SECRET12" + std::string(30, 'b');
  const std::string expected = std::string(15, 'a') + "***" + std::string(30, 'b');
  for (std::size_t chunk = 0; chunk <= input.size(); ++chunk) {
    INFO("chunk " << chunk);
    const auto pieces = split(masker, input, chunk, 20);
    CHECK(pieces.size() > 1);
    CHECK(concat(pieces) == expected);
    for (const auto& piece : pieces) CHECK(piece.size() <= 20);
  }
}

TEST_CASE("LineSplitter masks random long lines exactly as one whole line", "[unit][steps]") {
  std::mt19937 random(12345);
  const auto pick = [&random](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
  };
  for (int round = 0; round < 300; ++round) {
    std::string secret;
    for (std::size_t i = 0, n = 3 + pick(10); i < n; ++i) secret += static_cast<char>('a' + pick(26));
    std::string line;
    for (std::size_t i = 0, n = pick(300); i < n; ++i)
      line += pick(8) == 0 ? secret : std::string(1, static_cast<char>('a' + pick(26)));
    const SecretMasker masker({secret});
    const std::size_t max_line = 2 * secret.size() + 1 + pick(40);
    const std::size_t chunk = pick(50);
    INFO("secret " << secret << " line " << line << " max_line " << max_line << " chunk " << chunk);
    const auto pieces = split(masker, line + "\n", chunk, max_line);
    CHECK(concat(pieces) == masked(masker, line));
    for (const auto& piece : pieces) CHECK(piece.size() <= max_line);
  }
}

TEST_CASE("LineSplitter hides a run of overlapping secrets longer than max_line", "[unit][steps]") {
  const SecretMasker masker({"aaa"});
  // Runs of every length, so that some end a byte or two after a forced cut.
  for (std::size_t run = 17; run <= 80; ++run) {
    for (std::size_t chunk : {0, 1, 7}) {
      INFO("run " << run << " chunk " << chunk);
      const auto pieces = split(masker, "x" + std::string(run, 'a') + "y\n", chunk, 16);
      const std::string all = concat(pieces);
      CHECK(all.front() == 'x');
      CHECK(all.back() == 'y');
      CHECK(all.find('a') == std::string::npos);
      CHECK(pieces.size() > 1);
    }
  }
}

TEST_CASE("LineSplitter raises a max_line too small for the longest secret", "[unit][steps]") {
  const SecretMasker masker({"0123456789"});
  const std::string input = std::string(25, '-') + "0123456789" + std::string(25, '-');
  const auto pieces = split(masker, input, 3, 4);
  CHECK(concat(pieces) == std::string(25, '-') + "***" + std::string(25, '-'));
  for (const auto& piece : pieces) CHECK(piece.size() <= 21);
}

TEST_CASE("LineSplitter keeps memory bounded on one huge feed without newlines", "[unit][steps]") {
  const SecretMasker none;
  const std::string input(10 * 1024 * 1024, 'z');
  LineSplitter splitter(none, 1024);
  std::size_t pieces = 0;
  std::size_t bytes = 0;
  std::size_t longest = 0;
  const LineSplitter::Sink sink = [&](std::string_view piece) {
    ++pieces;
    bytes += piece.size();
    longest = std::max(longest, piece.size());
  };
  splitter.feed(input, sink);
  CHECK(longest == 1024);
  CHECK(bytes + 1024 >= input.size());  // at most one piece still pending
  splitter.finish(sink);
  CHECK(bytes == input.size());
  CHECK(pieces == input.size() / 1024);
}
