#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace turnout::util {

/// Edit distance between two strings (byte-wise): insertions, deletions, substitutions and
/// adjacent transpositions each count 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate nearest to `word`, if it is close enough to be a plausible typo
/// (distance at most a third of the word's length, and at least 1 allowed); nullopt otherwise.
std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates);

/// " (did you mean 'X'?)" for the nearest candidate, or "" when none is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// `text` with A-Z lowered to a-z and every other byte as it is: for names that compare
/// ignoring ASCII case (HTTP header names, repository names), whatever the locale.
std::string ascii_lower(std::string_view text);

/// Joins `parts` with `separator`.
std::string join(const std::vector<std::string>& parts, std::string_view separator);

/// The index of the first ASCII control character (U+0000-U+001F, U+007F) in `text`, npos when
/// none: what must never reach a log line, a terminal, or a name cut short at a NUL.
std::size_t first_control_character(std::string_view text);

/// `text` with each control character written as an escape (`\n`, `\t`, `\r`, else `\xNN`) and
/// a backslash doubled: one line of plain text, whatever a client sent.
std::string escape_control_characters(std::string_view text);

/// `bytes` in whole mebibytes, rounded to the nearest, as step usage is shown: `812M`.
std::string format_mebibytes(std::uint64_t bytes);

/// True when `text` matches the shell-style glob `pattern` (`*`, `?`, `[...]`), as fnmatch(3).
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace turnout::util
