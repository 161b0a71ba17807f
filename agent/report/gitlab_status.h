#pragma once
// GitLab commit statuses (POST {url}/api/v4/projects/{url-encoded path}/statuses/{sha},
// `PRIVATE-TOKEN: ...`): `state` pending|running|success|failed|canceled, `name` (turnout's
// context), `description` and `target_url`, each at most 255 characters. GitLab refuses (400) a
// status that does not change the state of the same name's status still open, so a run goes
// pending (queued) -> running -> its end, never pending twice in a row.

#include <cstddef>
#include <string>

#include "agent/report/commit_status.h"

namespace turnout::agent {

/// GitLab's limit on a status's description and on its target_url, in characters.
constexpr std::size_t kGitlabMaxText = 255;

/// The state as GitLab names it: pending, running, success, failed (failure and error) or canceled.
const char* gitlab_state(CommitState state);

/// `path` with every byte but letters, digits, `-`, `.`, `_` and `~` percent-encoded: a project's
/// `group/project` as GitLab's API takes it in a path (`group%2Fproject`).
std::string url_encode_path(const std::string& path);

/// `{base_url}/api/v4/projects/{url_encode_path(project)}/statuses/{sha}`; `base_url` is the
/// forge's own address.
std::string gitlab_statuses_url(const std::string& base_url, const std::string& project,
                                const std::string& sha);

/// The JSON body: state (gitlab_state), name (the context), the description cut to
/// kGitlabMaxText, and target_url unless "" or longer than GitLab takes (a cut link leads
/// nowhere, so it is left out).
std::string gitlab_status_body(CommitState state, const std::string& context, const std::string& description,
                               const std::string& target_url);

}  // namespace turnout::agent
