#pragma once
// The log of `turnout serve` on stderr: a line of text per message, or a JSON object per line
// for a log collector. Timestamps are UTC.

#include <spdlog/formatter.h>

#include <memory>

#include "agent/config/agent_config.h"

namespace turnout::agent {

/// The formatter of the server's log lines in `format`; in both, a control character a client
/// sent (ESC, BEL, NUL, a newline) is escaped, so it can neither forge a line nor drive a terminal.
std::unique_ptr<spdlog::formatter> server_log_formatter(LogFormat format);

/// Replaces the default logger with one for a long-running server at level info:
/// `2026-11-22T10:00:00.123Z info message` or
/// `{"time":"2026-11-22T10:00:00.123Z","level":"info","message":"..."}` (message JSON-escaped).
void configure_server_logging(LogFormat format);

}  // namespace turnout::agent
