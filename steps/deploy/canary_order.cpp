#include "steps/deploy/canary_order.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "steps/deploy/app_state.h"
#include "util/atomic_file.h"

namespace turnout::steps::deploy {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// How often the giver looks whether the order was taken.
constexpr std::chrono::milliseconds kLookInterval{50};

std::string order_file(const std::string& app_dir) { return (fs::path(app_dir) / "canary.order").string(); }

// The step of the canary in progress in `app_dir` ("step 1 of 2, at 10%"), or why there is none.
util::Result<std::string> canary_in_progress(const std::string& app_dir) {
  const auto state = load_app_state(app_dir);
  if (!state) return state.error();
  const auto& journal = state.value().journal;
  if (!journal || journal->phase != Phase::canary)
    return util::fail("no canary in progress for app " + state.value().app +
                      (journal ? std::string(" (its deploy is in phase ") + to_string(journal->phase) + ")"
                               : std::string(" (no deploy in progress)")));
  if (journal->canary_step == 0) return std::string("before its first step");
  return "at step " + std::to_string(journal->canary_step) + " of " + std::to_string(journal->canary_steps) +
         ", " + std::to_string(journal->canary_weight) + "%";
}

}  // namespace

const char* to_string(CanaryOrder order) { return order == CanaryOrder::promote ? "promote" : "abort"; }

std::optional<CanaryOrder> take_canary_order(const std::string& app_dir) {
  const std::string path = order_file(app_dir);
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string word;
  in >> word;
  ::unlink(path.c_str());
  if (word == to_string(CanaryOrder::promote)) return CanaryOrder::promote;
  if (word == to_string(CanaryOrder::abort)) return CanaryOrder::abort;
  return std::nullopt;
}

void clear_canary_order(const std::string& app_dir) { ::unlink(order_file(app_dir).c_str()); }

util::Status give_canary_order(const std::string& app_dir, CanaryOrder order, util::Duration wait) {
  if (auto running = canary_in_progress(app_dir); !running) return running.error();
  const std::string path = order_file(app_dir);
  if (auto written = util::write_file_atomically(path, std::string(to_string(order)) + "\n", 0600); !written)
    return written.error();
  const auto deadline = Clock::now() + wait;
  for (;;) {
    std::error_code error;
    if (!fs::exists(path, error)) return util::Ok{};
    // A canary that ended meanwhile (passed, failed, killed and reconciled) takes no order.
    if (auto running = canary_in_progress(app_dir); !running) {
      ::unlink(path.c_str());
      return util::fail(running.error().message + ": the order to " + to_string(order) + " came too late");
    }
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(kLookInterval);
  }
  ::unlink(path.c_str());
  return util::fail("the canary's deploy did not take the order to " + std::string(to_string(order)) +
                    " within " + util::format_duration(wait) +
                    " (is the deploying turnout still running? its next start reconciles the deploy)");
}

}  // namespace turnout::steps::deploy
