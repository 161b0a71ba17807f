#include "agent/apps/app_deploy.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "pipeline/loader.h"
#include "steps/environment.h"
#include "steps/secret_masker.h"

extern char** environ;

namespace turnout::agent {

namespace {

// The slot whose pipeline file describes the app best: the live one, else any deployed one.
const steps::deploy::SlotState* describing_slot(const steps::deploy::AppState& state) {
  if (const auto live = state.live ? state.slots.find(*state.live) : state.slots.end();
      live != state.slots.end() && !live->second.pipeline_file.empty())
    return &live->second;
  for (const auto& [name, slot] : state.slots) {
    if (!slot.pipeline_file.empty()) return &slot;
  }
  return nullptr;
}

}  // namespace

namespace {

// The pipeline's secrets from this process's environment, as a run takes them from turnout's:
// the agent's own for its API and start-up, the caller's for `turnout deploy`.
void take_secrets(AppDeploy& out, steps::RunContext& context) {
  for (const auto& name : out.pipeline.secrets) {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      out.unset_secrets.push_back(name);
      continue;
    }
    context.secrets[name] = value;
    out.secret_values.emplace_back(value);
  }
}

// `state` with the deploy of the pipeline kept in `slot`'s release and the environment its
// commands got there.
util::Result<AppDeploy> deploy_of_slot(steps::deploy::AppState state, const steps::deploy::SlotState& slot,
                                       const std::string& data_dir) {
  const std::string app = state.app;
  auto loaded = pipeline::load_file(slot.pipeline_file);
  if (!loaded.ok()) return util::fail(loaded.errors.front().to_string(), util::ErrorKind::invalid);
  AppDeploy out{std::move(state), std::move(loaded.pipeline), {}, {}};
  const pipeline::Stage* stage = nullptr;
  for (const auto& candidate : out.pipeline.stages) {
    if (candidate.deploy && candidate.deploy->app == app) stage = &candidate;
  }
  if (stage == nullptr) {
    return util::fail(slot.pipeline_file + " has no deploy stage for app '" + app + "'",
                      util::ErrorKind::invalid);
  }
  out.deploy = *stage->deploy;
  steps::RunContext context;
  context.workspace = slot.release;
  context.run_id = slot.run_id;
  context.sha = slot.sha;
  context.trigger = "cli";
  context.data_dir = data_dir;
  context.inherited_env = steps::inherited_environment(environ);
  take_secrets(out, context);
  pipeline::Step step;
  step.name = "deploy " + app;
  out.site = {data_dir, steps::step_environment(context, out.pipeline, *stage, step), {}};
  return out;
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
  const steps::deploy::SlotState described = *slot;
  return deploy_of_slot(std::move(state.value()), described, data_dir);
}

util::Result<AppDeploy> find_deployed_app(const std::string& data_dir, const std::string& name) {
  const auto apps = steps::deploy::list_apps(data_dir);
  if (std::find(apps.begin(), apps.end(), name) == apps.end())
    return util::fail("no app '" + name + "' has been deployed by this agent", util::ErrorKind::not_found);
  return load_app_deploy(data_dir, name);
}

namespace {

// `live` (loaded for its live slot) as `slot`'s own release describes it, the proxy kept.
util::Result<AppDeploy> with_release_of(AppDeploy live, steps::deploy::Slot slot) {
  const auto found = live.state.slots.find(slot);
  if (found == live.state.slots.end() || found->second.pipeline_file.empty()) return live;
  const steps::deploy::SlotState own = found->second;
  auto of_slot = deploy_of_slot(live.state, own, live.site.data_dir);
  if (!of_slot) return of_slot;
  of_slot.value().deploy.proxy = live.deploy.proxy;
  return of_slot;
}

}  // namespace

util::Result<AppDeploy> load_app_deploy(const std::string& data_dir, const std::string& app,
                                        std::optional<steps::deploy::Slot> slot) {
  auto live = load_app_deploy(data_dir, app);
  if (!live || !slot) return live;
  return with_release_of(std::move(live.value()), *slot);
}

steps::deploy::DeployOutcome roll_back(const AppDeploy& app, const std::string& to,
                                       const steps::CancelToken& cancel,
                                       const steps::deploy::DeployLog& log) {
  // The release's own pipeline starts it again (its commands, its secrets); traffic stays with
  // the live proxy.
  const auto setup_of =
      [&](const steps::deploy::LiveRelease& release) -> util::Result<steps::deploy::ReleaseSetup> {
    steps::deploy::SlotState slot;
    slot.release = release.release;
    slot.sha = release.sha;
    slot.run_id = release.run_id;
    slot.pipeline_file = release.pipeline_file;
    if (slot.pipeline_file.empty()) return steps::deploy::ReleaseSetup{app.deploy, app.site};
    auto own = deploy_of_slot(app.state, slot, app.site.data_dir);
    if (!own) return own.error();
    warn_unset_secrets(own.value(), log);
    own.value().deploy.proxy = app.deploy.proxy;
    return steps::deploy::ReleaseSetup{own.value().deploy, own.value().site};
  };
  auto outcome = steps::deploy::roll_back_to(app.deploy, app.site, to, setup_of, cancel, log);
  outcome.reason = agent::masked(app, std::move(outcome.reason));
  return outcome;
}

std::string masked(const AppDeploy& app, std::string text) {
  if (!app.secret_values.empty()) steps::SecretMasker(app.secret_values).mask(text);
  return text;
}

steps::deploy::DeployLog masked_log(const AppDeploy& app, steps::deploy::DeployLog log) {
  if (app.secret_values.empty()) return log;
  return [masker = steps::SecretMasker(app.secret_values), log = std::move(log)](const std::string& line) {
    std::string text = line;
    masker.mask(text);
    log(text);
  };
}

void warn_unset_secrets(const AppDeploy& app, const steps::deploy::DeployLog& log) {
  for (const auto& name : app.unset_secrets) {
    log("secret '" + name + "' (listed in " + app.pipeline.file +
        ") is not set in this process's environment: the app's commands run without it");
  }
}

void reconcile_all_apps(const std::string& data_dir) {
  for (const auto& app : steps::deploy::list_apps(data_dir)) {
    auto loaded = load_app_deploy(data_dir, app);
    if (!loaded) continue;  // never deployed to the end: nothing to reconcile
    if (!loaded.value().state.journal) continue;
    const auto log =
        masked_log(loaded.value(), [&](const std::string& line) { spdlog::warn("app {}: {}", app, line); });
    warn_unset_secrets(loaded.value(), log);
    if (auto done = steps::deploy::reconcile(loaded.value().deploy, loaded.value().site, log); !done)
      spdlog::error("app {}: cannot reconcile its interrupted deploy: {}", app, done.error().message);
  }
}

}  // namespace turnout::agent
