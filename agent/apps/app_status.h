#pragma once
// What an operator sees of a deployed app, as JSON: `turnout deploy status --json` prints it and
// `GET /api/apps/{app}` answers it, so both read the same thing the same way.

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/apps/app_deploy.h"
#include "steps/deploy/traffic_feed.h"
#include "util/process_stats.h"

namespace turnout::agent {

/// The app's live slot (port, pid, alive?, healthy? by a probe at most a second old, sha, release,
/// since; null when nothing is live), its idle slot, where the proxy points (read back from the
/// proxy), each slot's share of the traffic (`weights`: {"blue": 90, "green": 10} during a
/// canary), and an unfinished deploy with its phase (and a canary's step in `canary`). With the agent's
/// traffic `feed`, each slot of an app whose pipeline has `feed: true` has `traffic`: the feed's window
/// (requests, 5xx, error rate, latency p50/p95/p99 in seconds); null without (the CLI, or the feed off).
Poco::JSON::Object::Ptr app_status_json(const AppDeploy& app,
                                        const steps::deploy::TrafficFeed* feed = nullptr);

/// The status of the app a request names (GET /api/apps/{app}): find_deployed_app's errors
/// (not_found for an app never deployed here), else app_status_json.
util::Result<Poco::JSON::Object::Ptr> deployed_app_status_json(
    const std::string& data_dir, const std::string& name, const steps::deploy::TrafficFeed* feed = nullptr);

/// One slot of an app, as /metrics shows it.
struct SlotHealth {
  std::string app;                                       ///< the app's name
  steps::deploy::Slot slot = steps::deploy::Slot::blue;  ///< which
  bool live = false;                                     ///< the app's live slot
  bool alive = false;                                    ///< its process runs
  bool healthy = false;  ///< it answered its health probe (at most a second old)
  /// What its processes (its session) use now: agent-supervised slots that run only.
  std::optional<util::ProcessStats> usage;
  /// Its share of the traffic in percent: for a canary's app read back from the proxy (its weight,
  /// else 100 for the slot it points at, 0 for the other); for another app 100 for the live slot,
  /// 0 for the other. None when nothing is live (or the proxy points nowhere).
  std::optional<int> weight = std::nullopt;
};

/// Each slot's share of `app`'s traffic in percent, read back from its proxy: a canary's split,
/// else all of it where the proxy points; nullopt when it points nowhere (or cannot be read).
std::optional<std::map<steps::deploy::Slot, int>> traffic_weights(const AppDeploy& app);

/// Both slots of every app under `data_dir`, by app name; an app whose state or pipeline cannot
/// be read is left out.
std::vector<SlotHealth> all_slots_health(const std::string& data_dir);

/// The status of every app under `data_dir` (GET /api/apps), by name; one whose state or
/// pipeline cannot be read is left out, so that one broken app does not hide the others.
Poco::JSON::Array::Ptr all_apps_status_json(const std::string& data_dir,
                                            const steps::deploy::TrafficFeed* feed = nullptr);

}  // namespace turnout::agent
