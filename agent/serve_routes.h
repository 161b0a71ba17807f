#pragma once
// The agent's HTTP surface (DESIGN.md, "HTTP surface"), as routes: each parses its request and
// calls one function of the domain.

#include "agent/http/router.h"
#include "agent/store/run_store.h"
#include "agent/webhook/webhook_intake.h"

namespace turnout::agent {

/// Adds POST /webhook, GET /healthz, GET /api/runs (?limit=N, default 50) and
/// GET /api/runs/{id}. `intake` and `store` must outlive the router.
void add_serve_routes(Router& router, const WebhookIntake& intake, RunStore& store);

}  // namespace turnout::agent
