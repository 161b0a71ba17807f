#include "agent/report/gitea_status.h"

#include <Poco/JSON/Object.h>

#include <sstream>

namespace turnout::agent {

std::string gitea_statuses_url(const std::string& base_url, const std::string& repo, const std::string& sha) {
  return base_url + "/api/v1/repos/" + repo + "/statuses/" + sha;
}

std::string gitea_status_body(CommitState state, const std::string& context, const std::string& description,
                              const std::string& target_url) {
  Poco::JSON::Object body;
  body.set("state", github_state(state));
  body.set("context", context);
  body.set("description", truncate_description(description, kGiteaMaxDescription));
  if (!target_url.empty()) body.set("target_url", target_url);
  std::ostringstream out;
  body.stringify(out);
  return out.str();
}

}  // namespace turnout::agent
