#include "agent/config/forge.h"

namespace turnout::agent {

namespace {

constexpr Forge kForges[] = {Forge::github, Forge::gitea, Forge::forgejo, Forge::gitlab};

}  // namespace

const char* to_string(Forge forge) {
  switch (forge) {
    case Forge::github:
      return "github";
    case Forge::gitea:
      return "gitea";
    case Forge::forgejo:
      return "forgejo";
    case Forge::gitlab:
      return "gitlab";
  }
  return "unknown";
}

std::optional<Forge> parse_forge(std::string_view name) {
  for (const auto forge : kForges) {
    if (name == to_string(forge)) return forge;
  }
  return std::nullopt;
}

const std::vector<std::string>& forge_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all;
    for (const auto forge : kForges) all.emplace_back(to_string(forge));
    return all;
  }();
  return names;
}

const char* display_name(Forge forge) {
  switch (forge) {
    case Forge::github:
      return "GitHub";
    case Forge::gitea:
      return "Gitea";
    case Forge::forgejo:
      return "Forgejo";
    case Forge::gitlab:
      return "GitLab";
  }
  return "unknown";
}

bool accepts_delivery(Forge configured, Forge sender) {
  return configured == sender || (configured == Forge::forgejo && sender == Forge::gitea);
}

}  // namespace turnout::agent
