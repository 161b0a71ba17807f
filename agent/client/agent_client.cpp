#include "agent/client/agent_client.h"

#include <chrono>
#include <limits>

#include "util/http_client.h"

namespace turnout::agent {

util::Result<AgentAnswer> post_to_agent(const AgentPresence& agent, const std::string& path,
                                        const std::string& json) {
  util::ClientRequest request;
  request.url = agent.url + path;
  request.headers.emplace_back("Authorization", "Bearer " + agent.token);
  if (!json.empty()) request.headers.emplace_back("Content-Type", "application/json");
  request.body = json;
  request.timeout = std::chrono::seconds(30);
  // The agent's own certificate, pinned: see agent_client.h.
  request.trust = util::ServerTrust{agent.ca_file, true};
  request.max_body = std::numeric_limits<std::size_t>::max();  // the agent's whole answer
  auto reply = util::send_request(request);
  if (!reply) {
    return util::fail("the agent at " + agent.url + " (pid " + std::to_string(agent.process.pid) +
                          ") did not answer: " + reply.error().message,
                      util::ErrorKind::unavailable);
  }
  return AgentAnswer{reply.value().status, std::move(reply.value().body)};
}

}  // namespace turnout::agent
