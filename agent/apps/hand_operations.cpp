#include "agent/apps/hand_operations.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <utility>

#include "steps/deploy/blue_green.h"

namespace turnout::agent {

namespace {

// A run id as a slot records it ("17"); nullopt for one of no run ("", "cli").
std::optional<std::int64_t> run_number(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1) return std::nullopt;
  return value;
}

}  // namespace

HandAnswer hand_rollback(const AppDeploy& app, const RollbackHooks& hooks) {
  HandAnswer answer;
  const auto log = masked_log(app, [&](const std::string& line) {
    answer.log.push_back(line);
    if (hooks.log) hooks.log(line);
  });
  const auto outcome = roll_back(app, hooks.to, hooks.cancel, log);
  answer.result = outcome.ok ? HandResult::done : HandResult::failed;
  answer.reason = masked(app, outcome.reason);
  answer.live = outcome.live;
  answer.cancelled = outcome.cancelled;
  if (!outcome.ok || !outcome.live || !hooks.report) return answer;
  // The state as it is now: a rollback may have started a release again in a reused slot.
  const auto now = steps::deploy::load_app_state(steps::deploy::app_dir(app.site.data_dir, app.state.app));
  if (!now) return answer;
  if (const auto live = now.value().slots.find(*outcome.live); live != now.value().slots.end())
    hooks.report(app.state.app, live->second);
  return answer;
}

HandAnswer hand_rollback(const std::string& data_dir, const std::string& name, const RollbackHooks& hooks) {
  const auto app = find_deployed_app(data_dir, name);
  if (app) return hand_rollback(app.value(), hooks);
  HandAnswer refused;
  refused.result =
      app.error().kind == util::ErrorKind::not_found ? HandResult::no_such_app : HandResult::unreadable;
  refused.reason = app.error().message;
  return refused;
}

RollbackReport report_to_deploying_repo(Reporting& reporting, RunHistory& store, std::string via) {
  return [&reporting, &store, via = std::move(via)](const std::string& app,
                                                    const steps::deploy::SlotState& live) {
    const auto id = run_number(live.run_id);
    if (!id) return;
    const auto run = store.get(*id);
    if (!run || !run.value() || run.value()->repo_name.empty()) return;
    reporting.rolled_back(run.value()->repo_name, app, live.sha, via);
  };
}

HandAnswer served_rollback(const std::string& data_dir, const std::string& name, Reporting* reporting,
                           RunHistory& store, const std::string& via) {
  const steps::CancelToken never;
  const RollbackHooks hooks{
      never, [&](const std::string& line) { spdlog::info("app {}: {}", name, line); },
      reporting == nullptr ? RollbackReport() : report_to_deploying_repo(*reporting, store, via)};
  spdlog::info("app {}: rollback asked through {}", name, via);
  const auto done = hand_rollback(data_dir, name, hooks);
  if (done.result == HandResult::failed || done.result == HandResult::unreadable)
    spdlog::warn("app {}: rollback failed: {}", name, done.reason);
  return done;
}

HandAnswer served_switch(const std::string& data_dir, const std::string& name, steps::deploy::Slot slot,
                         const std::string& via) {
  HandAnswer answer;
  spdlog::info("app {}: switch to slot {} asked through {}", name, steps::deploy::to_string(slot), via);
  // The name is checked against the apps with a state before it names a folder.
  if (const auto known = find_deployed_app(data_dir, name); !known) {
    answer.result =
        known.error().kind == util::ErrorKind::not_found ? HandResult::no_such_app : HandResult::unreadable;
    answer.reason = known.error().message;
    return answer;
  }
  const auto app = load_app_deploy(data_dir, name, slot);
  if (!app) {
    answer.result = HandResult::unreadable;
    answer.reason = app.error().message;
    return answer;
  }
  const steps::CancelToken never;
  const auto log = masked_log(app.value(), [&](const std::string& line) {
    answer.log.push_back(line);
    spdlog::info("app {}: {}", name, line);
  });
  warn_unset_secrets(app.value(), log);
  const auto outcome = steps::deploy::switch_to_slot(app.value().deploy, app.value().site, slot, never, log);
  answer.result = outcome.ok ? HandResult::done : HandResult::failed;
  answer.reason = masked(app.value(), outcome.reason);
  answer.live = outcome.live;
  if (!outcome.ok) spdlog::warn("app {}: switch failed: {}", name, answer.reason);
  return answer;
}

HandAnswer hand_canary_order(const std::string& data_dir, const std::string& name,
                             steps::deploy::CanaryOrder order, const std::string& via) {
  namespace deploy = steps::deploy;
  HandAnswer answer;
  spdlog::info("app {}: {} of its canary asked through {}", name, deploy::to_string(order), via);
  // The name is checked against the apps with a state before it names a folder.
  const auto apps = deploy::list_apps(data_dir);
  if (std::find(apps.begin(), apps.end(), name) == apps.end()) {
    answer.result = HandResult::no_such_app;
    answer.reason = "no app '" + name + "' deployed in " + data_dir;
    return answer;
  }
  const auto dir = deploy::app_dir(data_dir, name);
  const auto given = deploy::give_canary_order(dir, order);
  if (const auto state = deploy::load_app_state(dir)) answer.live = state.value().live;
  if (!given) {
    answer.result = HandResult::failed;
    answer.reason = given.error().message;
    spdlog::warn("app {}: {} failed: {}", name, deploy::to_string(order), answer.reason);
    return answer;
  }
  answer.result = HandResult::done;
  answer.log.push_back(
      std::string("the canary of app ") + name + " took the order to " + deploy::to_string(order) +
      (order == deploy::CanaryOrder::promote ? ": its deploy switches all the traffic to it now"
                                             : ": its deploy takes the canary's share away and fails"));
  spdlog::info("app {}: {}", name, answer.log.back());
  return answer;
}

}  // namespace turnout::agent
