#pragma once
// Reading `repos:` of agent.yml: each repository the agent builds, with its `github:` and
// `notify:` settings; repeated names (ignoring case) are errors.

#include <vector>

#include "agent/config/agent_config.h"
#include "agent/config/config_reader.h"

namespace turnout::agent::detail {

/// The repos of a `repos:` entry, every problem reported to `reader`; bad items are left out.
std::vector<RepoConfig> read_repos(ConfigReader& reader, const Entry& entry);

}  // namespace turnout::agent::detail
