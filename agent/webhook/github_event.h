#pragma once
// A GitHub webhook delivery read into plain data: which event it is and, for a push, what was
// pushed where. Nothing here trusts the payload: every field is only ever data (ARCHITECTURE.md,
// invariant 1), and a body that is not what GitHub sends is an `invalid` error, never a throw.

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace turnout::agent {

/// What a delivery asks of the agent.
enum class EventKind {
  ping,   ///< GitHub checking a new hook: answered 200
  push,   ///< commits (or a branch or tag) pushed: may queue a run
  other,  ///< any other event (pull_request, create, ...): acknowledged, nothing queued
};

/// `ping`, `push`, `other`.
const char* to_string(EventKind kind);

/// The fields of a `push` payload the agent acts on or reports. Strings absent from the
/// payload (or null, like `head_commit` of a deletion) are "".
struct PushEvent {
  std::string repository_full_name;  ///< `repository.full_name`, "owner/repo" as GitHub spells it
  std::string clone_url;             ///< `repository.clone_url` (https)
  std::string ssh_url;               ///< `repository.ssh_url`
  std::string ref;                   ///< full ref: `refs/heads/main`, `refs/tags/v1`
  std::string branch;                ///< `main` for `refs/heads/main`; "" for tags and other refs
  std::string tag;                   ///< `v1` for `refs/tags/v1`; "" otherwise
  std::string before;                ///< the ref's commit before the push (all zeros when created)
  std::string after;                 ///< the ref's commit after it (all zeros when deleted)
  std::string pusher;                ///< `pusher.name`
  std::string head_commit_message;   ///< `head_commit.message`, as written (may span lines)
  std::string compare_url;           ///< `compare`
  bool deleted = false;              ///< the push deleted the ref
  bool created = false;              ///< the push created the ref
  bool forced = false;               ///< a force push
};

/// The fields of a `ping` payload.
struct PingEvent {
  long long hook_id = 0;  ///< `hook_id` (0 when absent)
  std::string zen;        ///< `zen`, GitHub's aphorism of the day
};

/// A delivery read from its `X-GitHub-Event` header and body.
struct ParsedEvent {
  EventKind kind = EventKind::other;  ///< which of the members below is filled
  std::string event;                  ///< the header's event name: `push`, `ping`, `pull_request`
  std::string repository;             ///< `repository.full_name` of any event; "" when it has none
  PushEvent push;                     ///< filled when kind == push
  PingEvent ping;                     ///< filled when kind == ping
};

/// Reads a delivery. Fails with ErrorKind::invalid (and a reason for a 400) when the header is
/// missing or not an event name, the body is not a JSON object (with the parser's reason), or
/// a push lacks `ref`, `repository.full_name` or a commit id in `after` (the field is named).
util::Result<ParsedEvent> parse_github_event(std::string_view event_header, std::string_view body);

/// Whether a push starts a run, and why (for the 202's body and the log).
struct Decision {
  bool accepted = false;  ///< true: queue a run
  std::string reason;     ///< "tag push (refs/tags/v1)", "branch 'x' is not watched (watched: main)"
};

/// Decides on a push of a configured repository: tags, deleted branches, refs that are not
/// branches and branches matching none of the `watched` glob patterns are ignored.
Decision decide(const PushEvent& push, const std::vector<std::string>& watched);

}  // namespace turnout::agent
