#pragma once
// Private to the store: the one way a status change of a run, a stage or a step is told.

#include <spdlog/common.h>

#include <string_view>

namespace turnout::agent::detail {

/// Logs `<subject>: <from> -> <to>` ("run 42: running -> succeeded", "run 42, stage build:
/// pending -> running") at `level`, once the change is committed. Runs are told at info, their
/// stages and steps at debug (a run's log file already says what each of them did).
void log_status_change(std::string_view subject, std::string_view from, std::string_view to,
                       spdlog::level::level_enum level = spdlog::level::info);

}  // namespace turnout::agent::detail
