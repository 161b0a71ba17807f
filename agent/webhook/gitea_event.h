#pragma once
// A Gitea or Forgejo webhook delivery read into the same plain data as GitHub's (github_event.h).
// Their push payload follows GitHub's (`ref`, `before`, `after`, `repository.full_name`,
// `repository.clone_url`), without GitHub's `deleted`/`created`/`forced` flags: a deletion is an
// `after` of zeros, a creation a `before` of zeros. Gitea has no `ping`: its "Test delivery"
// sends a push.

#include <string_view>

#include "agent/webhook/github_event.h"
#include "util/result.h"

namespace turnout::agent {

/// Reads a delivery whose event came in `header_name` (`X-Gitea-Event`, `X-Forgejo-Event`) with
/// the value `event_header`. Fails with ErrorKind::invalid, a reason for a 400, like
/// parse_github_event: a missing or odd event name, a body that is not a JSON object, or a push
/// lacking `ref`, `repository.full_name` or a commit id in `after` (the field is named).
util::Result<ParsedEvent> parse_gitea_event(std::string_view header_name, std::string_view event_header,
                                            std::string_view body);

}  // namespace turnout::agent
