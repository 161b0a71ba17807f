#pragma once
// A GitLab webhook delivery read into the same plain data as GitHub's (github_event.h). GitLab's
// push (`X-Gitlab-Event: Push Hook`, and `Tag Push Hook` for tags) names the repository in
// `project.path_with_namespace`, its clone URLs in `project.git_http_url`/`git_ssh_url`, and the
// commit in `checkout_sha` (null when the push deleted the ref; for an annotated tag `after` is
// the tag object, `checkout_sha` its commit), else in `after`.

#include <string_view>

#include "agent/webhook/github_event.h"
#include "util/result.h"

namespace turnout::agent {

/// Reads a delivery from its `X-Gitlab-Event` header and body. Fails with ErrorKind::invalid, a
/// reason for a 400: a missing or odd header, a body that is not a JSON object, a push whose
/// `object_kind` is not a push's, or one lacking `ref`, `project.path_with_namespace` or a
/// commit id in `after` (the field is named).
util::Result<ParsedEvent> parse_gitlab_event(std::string_view event_header, std::string_view body);

}  // namespace turnout::agent
