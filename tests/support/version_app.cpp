#include "tests/support/version_app.h"

#include <chrono>
#include <stdexcept>
#include <thread>

#include "steps/deploy/app_state.h"
#include "steps/deploy/slot_process.h"

namespace turnout::test {

namespace {

constexpr int kPortTries = 3;
constexpr auto kStartWait = std::chrono::seconds(20);

// Waits until `app` printed its "listening on PORT" line (true) or exited (false).
bool comes_up(BackgroundProcess& app, int port) {
  const std::string listening = "listening on " + std::to_string(port) + " ";
  const auto deadline = std::chrono::steady_clock::now() + kStartWait;
  while (std::chrono::steady_clock::now() < deadline) {
    if (app.output().find(listening) != std::string::npos) return true;
    if (!app.running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("turnout_test_app did not listen within 20s: " + app.output());
}

}  // namespace

VersionApp::VersionApp(const std::filesystem::path& log_file, const std::map<std::string, std::string>& env) {
  for (int attempt = 1; attempt <= kPortTries; ++attempt) {
    port_ = free_loopback_port();
    auto app_env = env;
    app_env["PORT"] = std::to_string(port_);
    process_ =
        std::make_unique<BackgroundProcess>(std::vector<std::string>{TURNOUT_TEST_APP}, log_file, app_env);
    if (comes_up(*process_, port_)) return;
  }
  throw std::runtime_error("turnout_test_app did not start: " + process_->output());
}

void stop_app_slots(const std::string& data_dir, const std::string& app) {
  auto state = steps::deploy::load_app_state(steps::deploy::app_dir(data_dir, app));
  if (!state) return;
  for (const auto& [name, slot] : state.value().slots) {
    // Clean-up only: a slot that is already gone is as good as a stopped one.
    if (slot.process) (void)steps::deploy::stop_slot({}, slot.process, util::Duration(2000));
  }
}

}  // namespace turnout::test
