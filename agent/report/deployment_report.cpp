#include "agent/report/deployment_report.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <sstream>

#include "agent/report/commit_status.h"

namespace turnout::agent {

namespace {

std::string json(const Poco::JSON::Object& object) {
  std::ostringstream out;
  object.stringify(out);
  return out.str();
}

}  // namespace

const char* to_string(DeploymentState state) {
  switch (state) {
    case DeploymentState::in_progress:
      return "in_progress";
    case DeploymentState::success:
      return "success";
    case DeploymentState::failure:
      return "failure";
  }
  return "failure";
}

std::string deployments_url(const std::string& api_url, const std::string& repo) {
  return api_url + "/repos/" + repo + "/deployments";
}

std::string deployment_statuses_url(const std::string& api_url, const std::string& repo) {
  return deployments_url(api_url, repo) + "/{deployment_id}/statuses";
}

std::string deployment_body(const std::string& sha, const std::string& environment,
                            const std::string& description) {
  Poco::JSON::Object body;
  body.set("ref", sha);
  body.set("task", "deploy");
  body.set("auto_merge", false);
  body.set("required_contexts", Poco::JSON::Array());
  body.set("environment", environment);
  body.set("description", truncate_description(description));
  return json(body);
}

std::string deployment_status_body(DeploymentState state, const std::string& description,
                                   const std::string& log_url, const std::string& environment_url) {
  Poco::JSON::Object body;
  body.set("state", to_string(state));
  body.set("description", truncate_description(description));
  if (!log_url.empty()) body.set("log_url", log_url);
  if (!environment_url.empty()) body.set("environment_url", environment_url);
  return json(body);
}

}  // namespace turnout::agent
