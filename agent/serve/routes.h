#pragma once
// The agent's HTTP surface (ARCHITECTURE.md, "HTTP surface"), as routes: each parses its request and
// calls one function of the domain.

#include <functional>
#include <string>
#include <vector>

#include "agent/config/agent_config.h"
#include "agent/http/router.h"
#include "agent/metrics/metrics.h"
#include "agent/report/reporting.h"
#include "agent/serve/feed_listener.h"
#include "agent/serve/scheduler.h"
#include "agent/store/run_history.h"
#include "agent/store/store_stats.h"
#include "agent/webhook/webhook_intake.h"
#include "util/reloadable.h"

namespace turnout::agent {

/// What the routes act on; everything must outlive the router.
struct ServeParts {
  const AgentConfig& config;    ///< data_dir and public_url
  const WebhookIntake& intake;  ///< POST /webhook
  RunHistory& runs;             ///< the runs the API shows
  StoreCounter& counter;        ///< the counts /metrics shows
  Scheduler& scheduler;         ///< reruns wake it; cancels go through it
  Metrics& metrics;             ///< GET /metrics
  /// Bearer tokens the writes accept (none: writes are refused); SIGHUP replaces them.
  const util::Reloadable<std::vector<std::string>>& write_tokens;
  Reporting* reporting = nullptr;      ///< a rollback is reported as a deployment; none: not reported
  const FeedListener* feed = nullptr;  ///< the traffic feed (/metrics, the apps' JSON); none: not shown
  /// With `dashboard: {read: session}`, the API's reads need a Bearer token or this to say the
  /// request carries a dashboard session (its pages' live logs read the API); none: token only.
  const std::function<bool(const HttpRequest&)>* signed_in = nullptr;
};

/// Adds POST /webhook, GET /healthz, GET /metrics, GET /api/runs (?limit=N, default 50),
/// GET /api/runs/{id}, GET /api/runs/{id}/log (?offset=BYTES, or a `Range: bytes=` header:
/// 206, 416 outside the log; streamed in bounded pieces; 403 for a log that is a link; ?follow=1
/// live until the run ends, as server-sent events for `Accept: text/event-stream`), and the writes
/// POST /api/runs/{id}/rerun, POST /api/runs/{id}/cancel and POST /api/repos/{owner}/{repo}/runs
/// (`?branch=` or {"branch": ...}: a run of the branch's head) (Bearer token: 401 without, 403 wrong);
/// GET /api/apps, GET /api/apps/{app} (as `turnout deploy status --json`) and
/// (the reads under /api need a Bearer token or a dashboard session unless `dashboard: {read:
/// open}`: 401 otherwise; /healthz and /metrics stay open)
/// POST /api/apps/{app}/rollback (Bearer token; answers when the rollback has ended).
void add_serve_routes(Router& router, const ServeParts& parts);

}  // namespace turnout::agent
