#pragma once
// The log of `turnout serve` on stderr: a line of text per message, or a JSON object per line
// for a log collector. Timestamps are UTC.

#include "agent/config/agent_config.h"

namespace turnout::agent {

/// Replaces the default logger with one for a long-running server at level info:
/// `2026-11-22T10:00:00.123Z info message` or
/// `{"time":"2026-11-22T10:00:00.123Z","level":"info","message":"..."}` (message JSON-escaped).
void configure_server_logging(LogFormat format);

}  // namespace turnout::agent
