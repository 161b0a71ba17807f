#pragma once
// Which forge a repository lives on: it decides how its webhooks are checked and read, and
// where its commit statuses go (ARCHITECTURE.md, "Where to add ... A forge").

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace turnout::agent {

/// A forge turnout takes webhooks from and reports commit statuses to.
enum class Forge {
  github,   ///< github.com or GitHub Enterprise
  gitea,    ///< Gitea
  forgejo,  ///< Forgejo (a Gitea fork: it sends Gitea's headers too)
  gitlab,   ///< gitlab.com or a self-hosted GitLab
};

/// `github`, `gitea`, `forgejo`, `gitlab`: the name agent.yml's `forge:` takes.
const char* to_string(Forge forge);

/// The forge named `name` exactly (lower case); nullopt for anything else.
std::optional<Forge> parse_forge(std::string_view name);

/// Every forge's name, in the order above (for messages and did-you-mean).
const std::vector<std::string>& forge_names();

/// How people write the forge: `GitHub`, `Gitea`, `Forgejo`, `GitLab`.
const char* display_name(Forge forge);

/// True when a delivery that names `sender` in its headers may come from a repository configured
/// as `configured`: the same forge, or Gitea's headers for a Forgejo repository (Forgejo sends
/// both its own and Gitea's, and a proxy may keep only one of them).
bool accepts_delivery(Forge configured, Forge sender);

}  // namespace turnout::agent
