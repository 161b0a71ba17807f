#pragma once
// Who listens on a slot's port, seen at one moment (the end of the health phase), and whether
// they still do: verify watches the process, not only the port, since a stranger that took the
// port would pass every probe.

#include <optional>
#include <string>
#include <vector>

#include "util/process_identity.h"

namespace turnout::steps::deploy {

/// The processes listening on a port when it was looked at.
struct PortListeners {
  int port = 0;                               ///< the port
  std::vector<util::ProcessIdentity> owners;  ///< each listener (a recycled pid is another process);
                                              ///< empty when none could be seen from here
};

/// Who listens on `port` now. Processes whose descriptors this one may not read (another
/// user's, a container's proxy) are not seen.
PortListeners listeners_now(int port);

/// The pids of `processes` for a person: "12, 13", or "none".
std::string pids_of(const std::vector<util::ProcessIdentity>& processes);

/// Why `before`'s owners have lost its port: nullopt while one of them still listens there (or
/// none was seen). A "no" is asked a second time before it is believed, so that a socket table
/// read while it changed cannot fail a deploy on its own.
std::optional<std::string> listener_lost(const PortListeners& before);

}  // namespace turnout::steps::deploy
