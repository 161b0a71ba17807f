#pragma once
// GitLab's webhook check: GitLab signs nothing; it sends the webhook's secret token itself in
// `X-Gitlab-Token`. The header is compared with the secret in constant time, and, being the
// secret, it is never logged nor put in an answer.

#include <string_view>

#include "agent/webhook/signature.h"

namespace turnout::agent {

/// Checks `header` (X-Gitlab-Token, "" when absent) against `secret`: missing when empty, else ok
/// or mismatch, compared in constant time over the longer of the two (a token of another length
/// is a mismatch that takes as long).
SignatureCheck verify_gitlab_token(std::string_view secret, std::string_view header);

}  // namespace turnout::agent
