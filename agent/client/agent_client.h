#pragma once
// The CLI's side of the agent's API: one authorised request to the agent serving the same data
// folder (see agent_presence.h). Over https the agent's own certificate is pinned: the CLI
// talks to a loopback address the certificate does not name, so a host name check cannot
// work, and an exact match is the stronger check anyway.

#include <string>

#include "agent/client/agent_presence.h"
#include "util/result.h"

namespace turnout::agent {

/// An answer of the agent's API.
struct AgentAnswer {
  int status = 0;    ///< HTTP status
  std::string body;  ///< the whole body
};

/// POSTs `json` (none when "") to `path` (e.g. /api/runs/3/rerun) with the presence's token.
/// Fails (kind unavailable) when the agent cannot be reached or its certificate is not the
/// pinned one.
util::Result<AgentAnswer> post_to_agent(const AgentPresence& agent, const std::string& path,
                                        const std::string& json = "");

}  // namespace turnout::agent
