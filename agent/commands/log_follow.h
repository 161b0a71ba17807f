#pragma once
// Printing a run's log as it grows, for `turnout logs --follow` and `turnout rerun`.

#include <cstdint>
#include <ios>
#include <string>

#include "agent/store/run_history.h"

namespace turnout::agent {

/// Copies what the file at `path` holds beyond `offset` to stdout; returns the new offset.
std::streamoff print_log_from(const std::string& path, std::streamoff offset);

/// Prints the log of run `id` as it grows until the run has ended and everything it wrote is
/// out; returns the run's final status (error when the store cannot be read).
RunStatus follow_log(RunHistory& store, std::int64_t id, const std::string& path);

}  // namespace turnout::agent
