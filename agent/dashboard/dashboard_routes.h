#pragma once
// The dashboard's HTTP surface (README, "Dashboard"): pages under `/`, sign-in and sign-out, the
// forms that rerun, cancel and roll back (calling what the API's routes call), and the assets.
// A route parses, checks the session (and a form's CSRF token), calls one function, renders.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "agent/config/agent_config.h"
#include "agent/http/router.h"
#include "agent/report/reporting.h"
#include "agent/serve/scheduler.h"
#include "agent/store/delivery_log.h"
#include "agent/store/run_history.h"
#include "agent/store/store_stats.h"
#include "steps/deploy/traffic_feed.h"

namespace turnout::agent {

/// What the dashboard acts on; everything must outlive the router.
struct DashboardParts {
  const AgentConfig& config;                         ///< data_dir, public_url, tls, dashboard.read_open
  RunHistory& runs;                                  ///< the history the pages show
  StoreCounter& counter;                             ///< the queue's depth
  DeliveryLog& deliveries;                           ///< /deliveries
  Scheduler& scheduler;                              ///< reruns and cancels, as the API's
  std::vector<std::string> tokens;                   ///< the tokens a sign-in accepts (the API's)
  Reporting* reporting = nullptr;                    ///< a rollback is reported as a deployment; none: not
  const steps::deploy::TrafficFeed* feed = nullptr;  ///< the app page's traffic per slot; none: not shown
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();  ///< uptime
};

/// Adds GET /, /runs, /runs/{id}, /apps/{app}, /deliveries, /login, /assets/{name}; POST /login, /logout,
/// /runs/{id}/rerun, /runs/{id}/cancel, /apps/{app}/rollback; and an HTML 404 for every other
/// path outside /api. Pages need a session unless `dashboard: {read: open}`; a POST needs a
/// session and its CSRF token (403, nothing done, otherwise).
/// Returns what takes the tokens a sign-in accepts anew (SIGHUP; see Sessions::accept).
std::function<void(std::vector<std::string>)> add_dashboard_routes(Router& router,
                                                                   const DashboardParts& parts);

}  // namespace turnout::agent
