#pragma once
// A place to deploy the test app (tests/fixtures/app) blue-green: a real nginx under its own
// prefix in front of two free loopback ports, a data dir, and the pipeline that deploys a
// version there. Stops every slot it recorded when it goes.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "steps/deploy/app_state.h"
#include "tests/support/command.h"
#include "tests/support/nginx.h"
#include "tests/support/temp_dir.h"

namespace turnout::test {

/// The keys of the deploy stage a test varies.
struct DeployKnobs {
  std::string timing = "      verify: 300ms\n      drain: 100ms\n";  ///< `verify:` and `drain:` lines
  std::string app_env;              ///< extra `env:` lines of the pipeline ("  NAME: value\n")
  int attempts = 300;               ///< the health check's attempts
  std::string interval = "100ms";   ///< between health checks (and verify's probes)
  std::string test_prefix;          ///< put before the proxy's test command ("sleep 3; ")
  bool outside_supervisor = false;  ///< `start` and `stop` as an outside supervisor's commands
  std::string start_suffix;         ///< put after an outside supervisor's start ("; sleep 3")
  bool command_proxy = false;       ///< a command backend keeping the live port in a file, not nginx
  bool feed = false;                ///< nginx (mode flag) sends each request to the traffic feed
};

/// nginx, two slot ports, a data dir and a workspace `ws/` for app `web`.
class DeploySite {
 public:
  /// nginx's default mode (flag: the includes in `dir: nginx-web`, so that an agent's data folder
  /// may replace data_dir), or with `reload_mode` the
  /// upstream file web.upstream.conf tested and reloaded at each switch.
  explicit DeploySite(bool reload_mode = false);
  ~DeploySite();

  bool reload_mode = false;                       ///< the pipeline's nginx mode is reload
  TempDir dir;                                    ///< ws/, data/, web.upstream.conf, nginx's prefix
  int blue = 0;                                   ///< slot ports
  int green = 0;                                  ///< slot ports
  std::unique_ptr<NginxServer> nginx;             ///< in front of the slots
  std::filesystem::path data_dir = dir / "data";  ///< turnout's; an agent's when it deploys

  /// The data folder.
  std::string data() const { return data_dir.string(); }
  /// The pipeline that deploys `version` of the test app as app `web`.
  std::string pipeline(const std::string& version, const DeployKnobs& knobs = {}) const;
  /// Writes pipeline(version, knobs) to ws/.turnout.yml.
  void write_pipeline(const std::string& version, const DeployKnobs& knobs = {});
  /// `turnout ARGS --data-dir data()`.
  CommandResult turnout(std::vector<std::string> args) const;
  /// Writes the pipeline of `version` and runs it with `turnout run --dir ws`.
  CommandResult deploy(const std::string& version, const DeployKnobs& knobs = {});
  /// Waits (up to 10 s) until nginx answers `version`.
  bool serves(const std::string& version) const;
  /// The app's state.json.
  steps::deploy::AppState state() const;
  /// The pid an outside supervisor's start wrote for `slot`; 0 when none.
  int outside_pid(const std::string& slot) const;
};

}  // namespace turnout::test
