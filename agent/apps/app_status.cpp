#include "agent/apps/app_status.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>

#include "steps/deploy/health_probe.h"
#include "steps/deploy/proxy_switch.h"
#include "steps/deploy/slot_process.h"

namespace turnout::agent {

namespace deploy = steps::deploy;

namespace {

bool slot_runs(const deploy::SlotState& slot) {
  return slot.running && (!slot.process || deploy::slot_alive(*slot.process));
}

// How long a probe's answer stands for the slot: the overview, every app page and every /metrics
// scrape ask, and however many people watch, the live app gets at most one probe a second.
constexpr auto kProbeReuse = std::chrono::seconds(1);

// A probe's answer for one slot as it runs now: its port, release and process (a restarted
// slot on the same port is probed afresh).
using ProbeKey = std::tuple<int, std::string, pid_t, std::uint64_t>;

struct RecentProbe {
  std::chrono::steady_clock::time_point at;
  deploy::ProbeResult result;
};

// The probes of the last second. Probes run outside the lock: a slow slot never holds up the
// status of another app; two pages at once may both probe.
class RecentProbes {
 public:
  std::optional<deploy::ProbeResult> find(const ProbeKey& key, std::chrono::steady_clock::time_point now) {
    const std::lock_guard<std::mutex> lock(mutex_);
    std::erase_if(probes_, [&](const auto& entry) { return now - entry.second.at >= kProbeReuse; });
    const auto found = probes_.find(key);
    if (found == probes_.end()) return std::nullopt;
    return found->second.result;
  }

  void keep(const ProbeKey& key, const RecentProbe& probe) {
    const std::lock_guard<std::mutex> lock(mutex_);
    probes_[key] = probe;
  }

 private:
  std::mutex mutex_;
  std::map<ProbeKey, RecentProbe> probes_;
};

RecentProbes& recent_probes() {
  static RecentProbes probes;
  return probes;
}

// A probe of a running slot, at most a second old; a slot that does not run is not healthy,
// and not probed.
deploy::ProbeResult probe_slot(const AppDeploy& app, const deploy::SlotState& slot) {
  if (!slot_runs(slot)) return {};
  const ProbeKey key{slot.port, slot.release, slot.process ? slot.process->pid : 0,
                     slot.process ? slot.process->start_time : 0};
  const auto now = std::chrono::steady_clock::now();
  if (auto recent = recent_probes().find(key, now)) return *recent;
  auto result = deploy::probe_once(app.deploy.health, slot.port, {app.site.env, slot.release});
  recent_probes().keep(key, {now, result});
  return result;
}

Poco::Dynamic::Var seconds(std::optional<double> value) {
  return value ? Poco::Dynamic::Var(*value) : Poco::Dynamic::Var();
}

// Stretches of a slot's window in its `series` (60 s: 10 s each).
constexpr std::size_t kSeriesParts = 6;

// The feed's window of one slot; null when there are no figures to show.
Poco::Dynamic::Var traffic_json(const AppDeploy& app, deploy::Slot slot, const deploy::TrafficFeed* feed) {
  const auto& nginx = app.deploy.proxy.nginx;
  if (feed == nullptr || !nginx || !nginx->feed) return {};
  const auto window = feed->window(app.state.app, slot, deploy::TrafficFeed::Clock::now());
  Poco::JSON::Object::Ptr json = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  json->set("window_seconds", std::chrono::duration<double>(feed->window_span()).count());
  json->set("requests", window.requests);
  json->set("errors_5xx", window.errors);
  json->set("error_rate", window.error_rate());
  Poco::JSON::Object::Ptr latency = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  latency->set("p50", seconds(window.latency.quantile(0.5)));
  latency->set("p95", seconds(window.latency.quantile(0.95)));
  latency->set("p99", seconds(window.latency.quantile(0.99)));
  json->set("latency_seconds", latency);
  // The same window in 10 s stretches, oldest first: what the dashboard draws as the last minute.
  const auto stretches = feed->series(app.state.app, slot, deploy::TrafficFeed::Clock::now(), kSeriesParts);
  Poco::JSON::Object::Ptr series = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  Poco::JSON::Array::Ptr requests = new Poco::JSON::Array;
  Poco::JSON::Array::Ptr errors = new Poco::JSON::Array;
  for (const auto& stretch : stretches) {
    requests->add(stretch.requests);
    errors->add(stretch.errors);
  }
  series->set("step_seconds", std::chrono::duration<double>(feed->window_span()).count() /
                                  static_cast<double>(stretches.size()));
  series->set("requests", requests);
  series->set("errors_5xx", errors);
  json->set("series", series);
  return json;
}

// Each slot's share as `proxy` says: a canary's split, else all where it points.
std::optional<std::map<deploy::Slot, int>> weights_from(const deploy::ProxySwitch& proxy,
                                                        const pipeline::Deploy& deploy) {
  if (const auto split = proxy.weight()) {
    return std::map<deploy::Slot, int>{{split->slot, split->percent},
                                       {deploy::other(split->slot), 100 - split->percent}};
  }
  const auto current = proxy.current();
  if (!current || !current.value()) return std::nullopt;
  const bool green = *current.value() == deploy.slots.green;
  return std::map<deploy::Slot, int>{{deploy::Slot::green, green ? 100 : 0},
                                     {deploy::Slot::blue, green ? 0 : 100}};
}

// What `status` shows of one slot.
Poco::JSON::Object::Ptr slot_json(const AppDeploy& app, deploy::Slot name, const deploy::TrafficFeed* feed) {
  const auto& slot = app.state.slots.at(name);
  Poco::JSON::Object::Ptr json = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  const bool alive = slot_runs(slot);
  json->set("slot", std::string(to_string(name)));
  json->set("port", slot.port);
  json->set("pid", slot.process ? Poco::Dynamic::Var(slot.process->pid) : Poco::Dynamic::Var());
  json->set("alive", alive);
  const auto probe = probe_slot(app, slot);
  json->set("healthy", probe.healthy);
  if (alive && !probe.healthy) json->set("unhealthy_because", probe.reason);
  json->set("sha", slot.sha);
  json->set("release", slot.release);
  json->set("since", slot.since);
  json->set("traffic", traffic_json(app, name, feed));
  return json;
}

// The kept releases that were live, newest first, with when each was live ("" until: live now).
Poco::JSON::Array::Ptr releases_json(const deploy::AppState& state) {
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
  for (auto entry = state.history.rbegin(); entry != state.history.rend(); ++entry) {
    std::error_code missing;
    if (!std::filesystem::is_directory(entry->release, missing)) continue;
    Poco::JSON::Object::Ptr json = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    json->set("sha", entry->sha);
    json->set("run_id", entry->run_id);
    json->set("release", entry->release);
    json->set("live_since", entry->live_since);
    json->set("live_until", entry->live_until);
    list->add(json);
  }
  return list;
}

std::unique_ptr<deploy::ProxySwitch> proxy_of(const AppDeploy& app) {
  return deploy::make_proxy_switch(
      app.deploy, {app.site.env, deploy::app_dir(app.site.data_dir, app.state.app), app.site.data_dir});
}

// The step of a canary in progress; null when none.
Poco::Dynamic::Var canary_json(const deploy::AppState& state) {
  if (!state.journal || state.journal->phase != deploy::Phase::canary || state.journal->canary_step == 0)
    return {};
  Poco::JSON::Object::Ptr json = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  json->set("slot", std::string(to_string(state.journal->target)));
  json->set("step", state.journal->canary_step);
  json->set("steps", state.journal->canary_steps);
  json->set("weight", state.journal->canary_weight);
  return json;
}

Poco::Dynamic::Var weights_json(const std::optional<std::map<deploy::Slot, int>>& weights) {
  if (!weights) return {};
  Poco::JSON::Object::Ptr json = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  for (const auto& [slot, percent] : *weights) json->set(to_string(slot), percent);
  return json;
}

}  // namespace

std::optional<std::map<deploy::Slot, int>> traffic_weights(const AppDeploy& app) {
  return weights_from(*proxy_of(app), app.deploy);
}

Poco::JSON::Object::Ptr app_status_json(const AppDeploy& app, const deploy::TrafficFeed* feed) {
  Poco::JSON::Object::Ptr json = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  json->set("app", app.state.app);
  const auto& live = app.state.live;
  json->set("live", live ? Poco::Dynamic::Var(slot_json(app, *live, feed)) : Poco::Dynamic::Var());
  const auto idle = live ? deploy::other(*live) : deploy::Slot::green;
  json->set("idle", slot_json(app, idle, feed));
  const auto proxy = proxy_of(app);
  const auto current = proxy->current();
  json->set("proxy", proxy->describe());
  json->set("proxy_port",
            current && current.value() ? Poco::Dynamic::Var(*current.value()) : Poco::Dynamic::Var());
  if (!current) json->set("proxy_error", current.error().message);
  json->set("weights", weights_json(weights_from(*proxy, app.deploy)));
  json->set("canary", canary_json(app.state));
  json->set("releases", releases_json(app.state));
  // What `turnout deploy rollback` (and the dashboard's button) would go to: the release live
  // before the current one, null when there is none.
  const auto back = deploy::last_live_before_current(app.state);
  Poco::JSON::Object::Ptr target = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  if (back) {
    target->set("sha", back->sha);
    target->set("run_id", back->run_id);
    target->set("release", back->release);
    target->set("live_until", back->live_until);
  }
  json->set("rollback_to", back ? Poco::Dynamic::Var(target) : Poco::Dynamic::Var());
  if (app.state.journal) {
    json->set("unfinished_deploy", "run " + app.state.journal->run_id + " of " + app.state.journal->sha +
                                       " to slot " + to_string(app.state.journal->target) + ", during " +
                                       deploy::to_string(app.state.journal->phase));
  }
  return json;
}

util::Result<Poco::JSON::Object::Ptr> deployed_app_status_json(const std::string& data_dir,
                                                               const std::string& name,
                                                               const deploy::TrafficFeed* feed) {
  const auto app = find_deployed_app(data_dir, name);
  if (!app) return app.error();
  return app_status_json(app.value(), feed);
}

std::vector<SlotHealth> all_slots_health(const std::string& data_dir) {
  std::vector<SlotHealth> all;
  for (const auto& name : deploy::list_apps(data_dir)) {
    auto app = load_app_deploy(data_dir, name);
    if (!app) continue;
    // Read back from the proxy for a canary's app only: another's split is its live slot, and a
    // scrape must not run a command backend's `current` for every app.
    const auto& live = app.value().state.live;
    const auto weights =
        app.value().deploy.canary ? traffic_weights(app.value())
        : live ? std::optional(std::map<deploy::Slot, int>{{*live, 100}, {deploy::other(*live), 0}})
               : std::nullopt;
    for (const auto slot : {deploy::Slot::blue, deploy::Slot::green}) {
      const auto found = app.value().state.slots.find(slot);
      const deploy::SlotState none;
      const auto& state = found == app.value().state.slots.end() ? none : found->second;
      const bool runs = slot_runs(state);
      // The slot was started with setsid: its pid is its session's id.
      const auto usage = runs && state.process ? util::read_session_stats(state.process->pid) : std::nullopt;
      all.push_back({name, slot, app.value().state.live == slot, runs, probe_slot(app.value(), state).healthy,
                     usage, weights ? std::optional<int>(weights->at(slot)) : std::nullopt});
    }
  }
  return all;
}

Poco::JSON::Array::Ptr all_apps_status_json(const std::string& data_dir, const deploy::TrafficFeed* feed) {
  Poco::JSON::Array::Ptr all = new Poco::JSON::Array;
  for (const auto& name : deploy::list_apps(data_dir)) {
    auto app = load_app_deploy(data_dir, name);
    if (app) all->add(app_status_json(app.value(), feed));
  }
  return all;
}

}  // namespace turnout::agent
