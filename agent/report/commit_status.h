#pragma once
// GitHub commit statuses (POST {api_url}/repos/{owner}/{repo}/statuses/{sha}): their states,
// contexts, descriptions and bodies. A run is `turnout/<pipeline>`, each of its stages
// `turnout/<pipeline>/<stage>`, where <pipeline> is the pipeline's `name:`.

#include <string>
#include <string_view>

namespace turnout::agent {

/// What a commit status says, in turnout's words; each forge's body names it in its own
/// (github_state(), gitlab_state()).
enum class CommitState {
  pending,    ///< queued, or queued again
  running,    ///< started (GitHub and Gitea have no such state: pending)
  success,    ///< passed
  failure,    ///< a step failed
  error,      ///< turnout could not run it
  cancelled,  ///< cancelled or superseded (GitHub and Gitea: error)
};

/// `pending`, `running`, `success`, `failure`, `error`, `cancelled`.
const char* to_string(CommitState state);

/// The state as GitHub (and Gitea, Forgejo) accept it: pending, success, failure or error.
const char* github_state(CommitState state);

/// GitHub's limit on a status description, in characters.
constexpr std::size_t kMaxDescription = 140;

/// `text` in at most `max` characters (UTF-8 code points): cut on a character boundary, the
/// last one an ellipsis when cut; bytes that are no UTF-8 count one character each.
std::string truncate_description(std::string_view text, std::size_t max = kMaxDescription);

/// `turnout/<pipeline>`, or `turnout/<pipeline>/<stage>` when a stage is given.
std::string status_context(const std::string& pipeline, const std::string& stage = "");

/// `{api_url}/repos/{repo}/statuses/{sha}` (`repo` is owner/name).
std::string statuses_url(const std::string& api_url, const std::string& repo, const std::string& sha);

/// The JSON body: state (github_state), context, the description (truncated), and target_url unless "".
std::string status_body(CommitState state, const std::string& context, const std::string& description,
                        const std::string& target_url);

/// `<stage> failed: step "<step>" <reason>` (`test failed: step "unit" exited 1`), or
/// `<stage> failed: <reason>` when no step is named.
std::string failure_description(const std::string& stage, const std::string& step, const std::string& reason);

/// A short commit id for descriptions: the first 7 characters.
std::string short_sha(const std::string& sha);

}  // namespace turnout::agent
