#pragma once
// Printing a run's log as it grows, for `turnout logs --follow`, `turnout rerun` and `turnout trigger`.

#include <cstdint>
#include <ios>
#include <string>

#include "agent/store/run_history.h"

namespace turnout::agent {

/// Copies what the file at `path` holds beyond `offset` to stdout; returns the new offset. At a
/// terminal (util::wants_color) only whole lines are copied, their time and marker coloured.
std::streamoff print_log_from(const std::string& path, std::streamoff offset);

/// Prints the log of run `id` as it grows until the run has ended and everything it wrote is
/// out; returns the run's final status (error when the store cannot be read).
RunStatus follow_log(RunHistory& store, std::int64_t id, const std::string& path);

/// follow_log() for run `id` of the data folder `data_dir`, then the exit code its end calls
/// for: 0 succeeded, 130 cancelled, 1 otherwise.
int follow_to_end(RunHistory& store, std::int64_t id, const std::string& data_dir);

}  // namespace turnout::agent
