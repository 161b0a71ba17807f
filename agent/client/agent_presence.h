#pragma once
// How `turnout rerun` finds the agent that serves its data folder (ARCHITECTURE.md: a rerun goes
// through the running agent's API when one is up): the agent writes `<data>/agent.json` while
// it serves, with its process identity, its URL and a token made for this start.
//
// The file is mode 0600 in turnout's own data folder: whoever can read it can already write
// turnout.db, so the token gives no one a power they lack. The configured API token is never
// written there.

#include <optional>
#include <string>

#include "util/process_identity.h"
#include "util/result.h"

namespace turnout::agent {

/// A serving agent, as agent.json describes it.
struct AgentPresence {
  util::ProcessIdentity process;  ///< the agent's pid and start time
  std::string url;                ///< where its API answers, e.g. http://127.0.0.1:8787
  std::string token;              ///< a Bearer token its API accepts for writes
  std::string ca_file;            ///< with https: the certificate to trust (the agent's own)
};

/// A fresh random token (32 bytes from the kernel, as hex).
std::string make_local_token();

/// Writes `<data_dir>/agent.json` atomically, mode 0600.
util::Status announce_presence(const std::string& data_dir, const AgentPresence& presence);

/// Removes `<data_dir>/agent.json` if it is this process's.
void withdraw_presence(const std::string& data_dir);

/// The agent serving `data_dir`: nullopt when no agent.json exists or its process is gone.
std::optional<AgentPresence> find_serving_agent(const std::string& data_dir);

}  // namespace turnout::agent
