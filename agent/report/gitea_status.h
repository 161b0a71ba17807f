#pragma once
// Gitea and Forgejo commit statuses (POST {url}/api/v1/repos/{owner}/{repo}/statuses/{sha},
// `Authorization: token ...`): GitHub's fields (`state` pending|success|error|failure,
// `context`, `description`, `target_url`) under Gitea's own API path. Contexts as for GitHub
// (commit_status.h).

#include <cstddef>
#include <string>

#include "agent/report/commit_status.h"

namespace turnout::agent {

/// Gitea's API documents no limit on a description (it is stored as TEXT); turnout keeps it to
/// one line of the commit list, in characters.
constexpr std::size_t kGiteaMaxDescription = 255;

/// `{base_url}/api/v1/repos/{repo}/statuses/{sha}`; `base_url` is the forge's own address.
std::string gitea_statuses_url(const std::string& base_url, const std::string& repo, const std::string& sha);

/// The JSON body: state (github_state: Gitea's are GitHub's), context, the description cut to
/// kGiteaMaxDescription, and target_url unless "".
std::string gitea_status_body(CommitState state, const std::string& context, const std::string& description,
                              const std::string& target_url);

}  // namespace turnout::agent
