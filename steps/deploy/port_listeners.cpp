#include "steps/deploy/port_listeners.h"

#include <algorithm>

#include "util/port_owner.h"

namespace turnout::steps::deploy {

namespace {

// Whether one of `owners` is among `now`.
bool one_of(const std::vector<util::ProcessIdentity>& owners, const std::vector<util::ProcessIdentity>& now) {
  return std::any_of(owners.begin(), owners.end(), [&](const util::ProcessIdentity& owner) {
    return std::find(now.begin(), now.end(), owner) != now.end();
  });
}

}  // namespace

PortListeners listeners_now(int port) {
  PortListeners found{port, {}};
  for (const pid_t pid : util::listening_processes(port)) {
    if (const auto identity = util::identify(pid)) found.owners.push_back(*identity);
  }
  return found;
}

std::string pids_of(const std::vector<util::ProcessIdentity>& processes) {
  std::string text;
  for (const auto& process : processes) text += (text.empty() ? "" : ", ") + std::to_string(process.pid);
  return text.empty() ? "none" : text;
}

std::optional<std::string> listener_lost(const PortListeners& before) {
  if (before.owners.empty()) return std::nullopt;
  auto now = listeners_now(before.port);
  if (one_of(before.owners, now.owners)) return std::nullopt;
  now = listeners_now(before.port);
  if (one_of(before.owners, now.owners)) return std::nullopt;
  return "the process that listened on port " + std::to_string(before.port) + " before the switch (pid " +
         pids_of(before.owners) + ") no longer does; now: pid " + pids_of(now.owners);
}

}  // namespace turnout::steps::deploy
