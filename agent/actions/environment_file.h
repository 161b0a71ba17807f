#pragma once
// GitHub Actions environment files: the runner names a file per step in GITHUB_OUTPUT (and
// GITHUB_STEP_SUMMARY); a step appends to it and the runner reads it when the step ends.

#include <functional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace turnout::agent::actions {

/// Makes a random delimiter for a multi-line value (the caller checks it is not in the value).
using DelimiterSource = std::function<std::string()>;

/// `ghadelimiter_` and 32 random hex digits, as GitHub's own toolkit makes them.
std::string random_delimiter();

/// One output as GITHUB_OUTPUT wants it, newline included: `name=value` for a one-line value,
/// else `name<<DELIM`, the value, `DELIM`, with a delimiter that occurs nowhere in the value.
std::string format_output(std::string_view name, std::string_view value,
                          const DelimiterSource& delimiter = random_delimiter);

/// Appends `text` to the file at `path` (never truncating what earlier steps wrote there);
/// fails naming the file.
util::Status append_to_file(const std::string& path, std::string_view text);

}  // namespace turnout::agent::actions
