#pragma once

#include <cstdint>
#include <string>

#include "agent/store/run_history.h"
#include "util/result.h"

namespace turnout::agent {

/// Parses a run id typed by a person: a clear error (kind invalid) for "abc", "-1" or "0".
util::Result<std::int64_t> parse_run_id(const std::string& text);

/// Parses a run id typed by a person and finds it in `store`: a clear error (kind invalid or
/// not_found) for "abc", "-1" or an id the store does not have.
util::Result<RunRecord> find_run(RunHistory& store, const std::string& text);

}  // namespace turnout::agent
