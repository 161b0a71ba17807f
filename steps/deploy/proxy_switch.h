#pragma once
// Switching traffic between slots (ARCHITECTURE.md invariant 5): the `nginx` backend by default
// flips a flag file that nginx reads per request (nginx_flag.h); in mode `reload` it owns one
// small include file holding the live upstream, written atomically and tested before reload; the
// `command` backend runs a user's commands (HAProxy's runtime API, a cloud load balancer).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/pipeline.h"
#include "steps/deploy/slot.h"
#include "util/result.h"

namespace turnout::steps::deploy {

/// What proxy commands run with.
struct ProxyEnv {
  std::vector<std::string>
      env;               ///< the whole environment, "NAME=value" (PORT and TURNOUT_SLOT are added per call)
  std::string cwd;       ///< where commands run
  std::string data_dir;  ///< turnout's data folder (the flag mode's default folder is in it)
};

/// A share of the traffic sent to one slot while the rest goes to the live one (a canary).
struct TrafficWeight {
  Slot slot = Slot::blue;  ///< the slot that gets `percent`
  int percent = 0;         ///< 1..100 of the requests (by their sticky key's bucket)

  /// Field by field.
  bool operator==(const TrafficWeight&) const = default;
};

/// A backend that points traffic at one local port.
class ProxySwitch {
 public:
  virtual ~ProxySwitch() = default;
  /// Points traffic at 127.0.0.1:`port` (slot `slot`). nginx, mode flag: see nginx_flag.h;
  /// it returns once nginx answers with the new slot. nginx, mode reload: writes the upstream file
  /// atomically (`server 127.0.0.1:PORT;`), runs the test command, then the reload command; if
  /// either fails, the previous file is put back (and reloaded when the reload had run) and the
  /// error names the failing command with its output. command: runs `switch` with PORT and
  /// TURNOUT_SLOT set; its exit status decides.
  virtual util::Status switch_to(int port, Slot slot) = 0;
  /// The port traffic goes to now, read back from the proxy: the upstream file's server line, or
  /// what the `current` command prints. nullopt when it points nowhere yet (no file, empty output).
  virtual util::Result<std::optional<int>> current() const = 0;
  /// "nginx (/etc/nginx/conf.d/app.upstream.conf)" or "command": for status output and logs.
  virtual std::string describe() const = 0;
  /// Sends `percent` of the requests to `slot` (a canary) and the rest where switch_to last
  /// pointed; percent 0 ends the split. nginx in mode flag: one atomic file operation, no
  /// reload, returning once nginx's check server reports the weight (nginx_flag.h). The other
  /// backends cannot split traffic and fail, changing nothing.
  virtual util::Status set_weight(Slot slot, int percent);
  /// The split in force, read back from the proxy; nullopt when none (or the backend cannot split).
  virtual std::optional<TrafficWeight> weight() const { return std::nullopt; }
};

/// The backend `deploy.proxy` names (exactly one of nginx and command is set); nginx in its
/// mode: flag (nginx_flag.h) or reload.
std::unique_ptr<ProxySwitch> make_proxy_switch(const pipeline::Deploy& deploy, ProxyEnv env);

}  // namespace turnout::steps::deploy
