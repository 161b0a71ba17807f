#pragma once
// The deploy history on an app's page: each deploy the app's `deploys.json` keeps (steps/deploy/
// deploy_record.h), with its phases, its failed probes and their reasons, the switch time, and
// an automatic rollback marked, as data for the `deploy_history` template.

#include <chrono>
#include <string>

#include "agent/dashboard/page_renderer.h"

namespace turnout::agent {

/// The deploys of the app in `app_dir`, newest first, as `{deploys: [...], problem}`: each with
/// its run, commit, slots, result (and a flag per result for the template), reason, start and
/// duration, switch and rollback times, phases and failed probes (each at `+offset` from the
/// start); `problem` says why the history cannot be read (the page still shows the rest).
PageData deploy_history(const std::string& app_dir, std::chrono::system_clock::time_point now);

}  // namespace turnout::agent
