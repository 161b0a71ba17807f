#include "agent/client/agent_presence.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/atomic_file.h"
#include "util/read_file.h"

namespace turnout::agent {

namespace {

std::string presence_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "agent.json").string();
}

std::optional<AgentPresence> read_presence(const std::string& path) {
  const auto text = util::read_whole_file(path);
  if (!text) return std::nullopt;
  try {
    const auto json = Poco::JSON::Parser().parse(text.value()).extract<Poco::JSON::Object::Ptr>();
    AgentPresence presence;
    presence.process.pid = json->getValue<int>("pid");
    presence.process.start_time = json->getValue<Poco::UInt64>("start_time");
    presence.url = json->getValue<std::string>("url");
    presence.token = json->getValue<std::string>("token");
    presence.ca_file = json->optValue<std::string>("ca_file", "");
    return presence;
  } catch (const Poco::Exception&) {
    return std::nullopt;  // half a file from another version, or hand-edited: no agent to talk to
  }
}

}  // namespace

std::string make_local_token() {
  unsigned char bytes[32] = {};
  std::ifstream random("/dev/urandom", std::ios::binary);
  random.read(reinterpret_cast<char*>(bytes), sizeof bytes);
  if (!random) throw std::runtime_error("cannot read /dev/urandom");
  std::string hex;
  char digits[3];
  for (const unsigned char byte : bytes) {
    std::snprintf(digits, sizeof digits, "%02x", byte);
    hex += digits;
  }
  return hex;
}

util::Status announce_presence(const std::string& data_dir, const AgentPresence& presence) {
  Poco::JSON::Object json(Poco::JSON_PRESERVE_KEY_ORDER);
  json.set("pid", presence.process.pid);
  json.set("start_time", presence.process.start_time);
  json.set("url", presence.url);
  json.set("token", presence.token);
  if (!presence.ca_file.empty()) json.set("ca_file", presence.ca_file);
  std::ostringstream text;
  json.stringify(text);
  return util::write_file_atomically(presence_path(data_dir), text.str() + "\n", 0600);
}

void withdraw_presence(const std::string& data_dir) {
  const auto path = presence_path(data_dir);
  const auto presence = read_presence(path);
  if (presence && presence->process == util::self_identity()) std::filesystem::remove(path);
}

std::optional<AgentPresence> find_serving_agent(const std::string& data_dir) {
  auto presence = read_presence(presence_path(data_dir));
  if (!presence || !util::is_alive(presence->process)) return std::nullopt;
  return presence;
}

}  // namespace turnout::agent
