#pragma once
// The dashboard's pages as data for their templates: each reads what it shows from the room
// that owns it (the store's history, an app's status, its releases) and knows nothing of HTTP
// or sessions. Bad input is an answer with a 4xx status and the reason, never an exception.

#include <chrono>
#include <map>
#include <string>

#include "agent/config/agent_config.h"
#include "agent/dashboard/page_renderer.h"
#include "agent/store/delivery_log.h"
#include "agent/store/run_history.h"
#include "agent/store/store_stats.h"
#include "steps/deploy/traffic_feed.h"

namespace turnout::agent {

/// Where the pages read from; everything must outlive them.
struct PageSources {
  const AgentConfig& config;                         ///< data_dir
  RunHistory& runs;                                  ///< the history
  StoreCounter& counter;                             ///< the queue's depth
  DeliveryLog& deliveries;                           ///< every webhook delivery
  std::chrono::steady_clock::time_point started;     ///< the agent's start, for its uptime
  const steps::deploy::TrafficFeed* feed = nullptr;  ///< the agent's traffic feed; none: no traffic shown
};

/// A page to render: which template, with what, under which title; or an error page.
struct PageAnswer {
  int status = 200;           ///< HTTP status
  std::string template_name;  ///< e.g. `run.mustache`
  PageData data;              ///< its values
  std::string title;          ///< after "turnout · "
  std::string nav;            ///< the menu item it belongs to
};

/// An error page: `status`, a heading and the reason.
PageAnswer error_page(int status, const std::string& heading, const std::string& reason);

/// `/`: every app (live slot, port, sha, since, healthy, idle slot, an unfinished deploy), the
/// latest runs, the queue's depth, the agent's version and uptime.
PageAnswer overview_page(const PageSources& sources);

/// `/runs`: a page of history, filtered by `repo`, `branch` and `status`, older ones from
/// `before` (a run id); 400 naming a bad value.
PageAnswer runs_page(const PageSources& sources, const std::map<std::string, std::string>& query);

/// `/runs/ID`: the run, its stages and steps, links to the runs it superseded or reran, why a
/// queued run waits, and a window of its log (the end of it, unless `from` names a byte).
PageAnswer run_page(const PageSources& sources, const std::string& id,
                    const std::map<std::string, std::string>& query);

/// `/deliveries`: every webhook delivery, refused ones too, newest first, older ones from
/// `before` (a delivery's id); 400 naming a bad value.
PageAnswer deliveries_page(const PageSources& sources, const std::map<std::string, std::string>& query);

/// `/apps/APP`: its slots (with the traffic feed's last minute of each, when the app has the feed
/// and the agent receives it), the proxy's target, its releases (newest first, each with its run).
PageAnswer app_page(const PageSources& sources, const std::string& app);

}  // namespace turnout::agent
