#include "agent/commands/agent_call.h"

#include <Poco/JSON/Parser.h>

#include "agent/client/agent_client.h"

namespace turnout::agent {

namespace {

// The body as a JSON object; an empty object when it is not one.
Poco::JSON::Object::Ptr parse_object(const std::string& body) {
  try {
    auto parsed = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
    if (parsed) return parsed;
  } catch (const Poco::Exception&) {
  }
  return new Poco::JSON::Object;
}

}  // namespace

util::Result<AgentReply> call_agent(const AgentPresence& agent, const std::string& path,
                                    const std::string& json) {
  auto answer = post_to_agent(agent, path, json);
  if (!answer) return answer.error();
  return AgentReply{answer.value().status, parse_object(answer.value().body), std::move(answer.value().body)};
}

std::string refusal_of(const AgentReply& reply) {
  if (reply.json->has("error")) return reply.json->getValue<std::string>("error");
  if (reply.json->has("reason")) return reply.json->getValue<std::string>("reason");
  return reply.body;
}

}  // namespace turnout::agent
