#pragma once
// A command's request to the agent serving its data folder (rerun, cancel, trigger): the
// answer read as JSON, and one line for a person when it is a refusal.

#include <Poco/JSON/Object.h>

#include <string>

#include "agent/client/agent_presence.h"
#include "util/result.h"

namespace turnout::agent {

/// What the agent answered.
struct AgentReply {
  int status = 0;                ///< HTTP status
  Poco::JSON::Object::Ptr json;  ///< the body as a JSON object; an empty one when it is not JSON
  std::string body;              ///< the body as it came
};

/// POSTs `json` (none when "") to `path` of `agent`. Fails with one line (kind unavailable) when
/// the agent does not answer.
util::Result<AgentReply> call_agent(const AgentPresence& agent, const std::string& path,
                                    const std::string& json = "");

/// Why the agent refused: its body's "error" (or "reason"), else the body itself.
std::string refusal_of(const AgentReply& reply);

}  // namespace turnout::agent
