#include "agent/app_deploy.h"

#include <spdlog/spdlog.h>

#include "pipeline/loader.h"
#include "steps/environment.h"

extern char** environ;

namespace turnout::agent {

namespace {

// The slot whose pipeline file describes the app best: the live one, else any deployed one.
const steps::deploy::SlotState* describing_slot(const steps::deploy::AppState& state) {
  if (const auto live = state.slots.find(state.live);
      live != state.slots.end() && !live->second.pipeline_file.empty())
    return &live->second;
  for (const auto& [name, slot] : state.slots) {
    if (!slot.pipeline_file.empty()) return &slot;
  }
  return nullptr;
}

}  // namespace

util::Result<AppDeploy> load_app_deploy(const std::string& data_dir, const std::string& app) {
  auto state = steps::deploy::load_app_state(steps::deploy::app_dir(data_dir, app));
  if (!state) return state.error();
  const auto* slot = describing_slot(state.value());
  if (slot == nullptr) {
    return util::fail(
        "no app '" + app + "' has been deployed with data dir " + data_dir + " (see turnout deploy status)",
        util::ErrorKind::not_found);
  }
  auto loaded = pipeline::load_file(slot->pipeline_file);
  if (!loaded.ok()) return util::fail(loaded.errors.front().to_string(), util::ErrorKind::invalid);
  AppDeploy out{std::move(state.value()), std::move(loaded.pipeline), {}, {}};
  const pipeline::Stage* stage = nullptr;
  for (const auto& candidate : out.pipeline.stages) {
    if (candidate.deploy && candidate.deploy->app == app) stage = &candidate;
  }
  if (stage == nullptr) {
    return util::fail(slot->pipeline_file + " has no deploy stage for app '" + app + "'",
                      util::ErrorKind::invalid);
  }
  out.deploy = *stage->deploy;
  steps::RunContext context;
  context.workspace = slot->release;
  context.run_id = slot->run_id;
  context.sha = slot->sha;
  context.trigger = "cli";
  context.data_dir = data_dir;
  context.inherited_env = steps::inherited_environment(environ);
  pipeline::Step step;
  step.name = "deploy " + app;
  out.site = {data_dir, steps::step_environment(context, out.pipeline, *stage, step)};
  return out;
}

void reconcile_all_apps(const std::string& data_dir) {
  for (const auto& app : steps::deploy::list_apps(data_dir)) {
    auto loaded = load_app_deploy(data_dir, app);
    if (!loaded) continue;  // never deployed to the end: nothing to reconcile
    if (!loaded.value().state.journal) continue;
    const auto log = [&](const std::string& line) { spdlog::warn("app {}: {}", app, line); };
    if (auto done = steps::deploy::reconcile(loaded.value().deploy, loaded.value().site, log); !done)
      spdlog::error("app {}: cannot reconcile its interrupted deploy: {}", app, done.error().message);
  }
}

}  // namespace turnout::agent
