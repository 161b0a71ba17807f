#pragma once
// GitHub deployments for the deploy stage: a deployment of the commit (POST
// {api_url}/repos/{owner}/{repo}/deployments, answered 201 with its `id`), then its statuses
// (POST .../deployments/{id}/statuses). The id exists only once GitHub has answered, so a
// status's URL holds the placeholder `{deployment_id}`, filled in by the sender.

#include <string>

namespace turnout::agent {

/// The deployment states turnout reports (GitHub knows error, inactive, queued, pending too).
enum class DeploymentState { in_progress, success, failure };

/// `in_progress`, `success`, `failure`.
const char* to_string(DeploymentState state);

/// `{api_url}/repos/{repo}/deployments`.
std::string deployments_url(const std::string& api_url, const std::string& repo);

/// `{api_url}/repos/{repo}/deployments/{deployment_id}/statuses`, placeholder included.
std::string deployment_statuses_url(const std::string& api_url, const std::string& repo);

/// The body creating a deployment of `sha` to `environment`: task `deploy`, no auto-merge,
/// no required contexts (the statuses turnout itself posts must not block it).
std::string deployment_body(const std::string& sha, const std::string& environment,
                            const std::string& description);

/// The body of a deployment status; `log_url` and `environment_url` are left out when "".
std::string deployment_status_body(DeploymentState state, const std::string& description,
                                   const std::string& log_url, const std::string& environment_url);

}  // namespace turnout::agent
