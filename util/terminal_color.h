#pragma once
// ANSI colour for a person at a terminal, and never for a file, a pipe or NO_COLOR
// (https://no-color.org): one rule for every command's output.

#include <cstdio>
#include <string>
#include <string_view>

namespace turnout::util {

/// SGR codes the commands use.
namespace sgr {
inline constexpr const char* kRed = "31";     ///< failed, error
inline constexpr const char* kGreen = "32";   ///< succeeded, healthy
inline constexpr const char* kYellow = "33";  ///< running, a warning
inline constexpr const char* kBlue = "34";    ///< queued
inline constexpr const char* kBold = "1";     ///< headings
inline constexpr const char* kDim = "2";      ///< what matters less
}  // namespace sgr

/// True when `file` is a terminal and NO_COLOR is not set.
bool wants_color(std::FILE* file);

/// `text` wrapped in SGR `code` when `enabled`, else `text` as it is.
std::string paint(bool enabled, const char* code, std::string_view text);

}  // namespace turnout::util
