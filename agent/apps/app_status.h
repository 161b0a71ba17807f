#pragma once
// What an operator sees of a deployed app, as JSON: `turnout deploy status --json` prints it and
// `GET /api/apps/{app}` answers it, so both read the same thing the same way.

#include <Poco/JSON/Object.h>

#include "agent/apps/app_deploy.h"

namespace turnout::agent {

/// The app's live slot (port, pid, alive?, healthy? by one probe now, sha, release, since; null
/// when nothing is live), its idle slot, where the proxy points (read back from the proxy), and
/// an unfinished deploy with its phase.
Poco::JSON::Object::Ptr app_status_json(const AppDeploy& app);

}  // namespace turnout::agent
