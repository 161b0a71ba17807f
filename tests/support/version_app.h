#pragma once
// The fixture app of deploy tests (tests/fixtures/app/version_app.cpp), running on a free port.

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "tests/support/background_process.h"

namespace turnout::test {

/// turnout_test_app listening on a free loopback port, stopped (its whole group) on destruction.
class VersionApp {
 public:
  /// Starts it with our environment plus `env` (APP_VERSION, APP_HEALTH, APP_DIE_AFTER; PORT is
  /// chosen here), its output appended to `log_file`, and waits until it says it listens. Tries
  /// another port when the one chosen was taken meanwhile; throws std::runtime_error when it
  /// does not come up.
  explicit VersionApp(const std::filesystem::path& log_file,
                      const std::map<std::string, std::string>& env = {});

  /// The port it listens on.
  int port() const { return port_; }
  /// The running process (to signal it, read its output, stop it).
  BackgroundProcess& process() { return *process_; }

 private:
  int port_ = 0;
  std::unique_ptr<BackgroundProcess> process_;
};

/// Stops every agent-supervised slot of `app` under `data_dir` that a test's deploys left
/// running (what a test does before its folders go). Nothing when the app has no state.
void stop_app_slots(const std::string& data_dir, const std::string& app);

}  // namespace turnout::test
