#pragma once
// What every forge's push parser shares once read_payload_fields has the values: a field's
// string or flag, what a commit id looks like, and a ref split into branch or tag. Each forge's
// parser (github_event, gitea_event, gitlab_event) names its own paths and fields.

#include <string>
#include <string_view>
#include <vector>

#include "agent/webhook/github_event.h"
#include "agent/webhook/payload_fields.h"
#include "util/result.h"

namespace turnout::agent::detail {

/// A bad delivery: ErrorKind::invalid with `message`, which the intake answers with a 400.
util::Error invalid_delivery(std::string message);

/// A forge's event name as GitHub, Gitea and Forgejo send it: 1 to 64 of `a-z`, `0-9`, `_`, `.`, `-`.
bool is_event_name(std::string_view name);

/// The value's string; "" when absent, null or not a string.
std::string text_of(const PayloadValue& value);

/// True only for a JSON `true`.
bool flag_of(const PayloadValue& value);

/// A commit id: 40 lower-case hex digits (SHA-1), or 64 in a SHA-256 repository.
bool is_commit_id(std::string_view text);

/// A commit id of zeros only: what forges send as the "after" of a deletion (and "before" of a
/// creation).
bool is_zero_commit(std::string_view text);

/// Fills `push.branch` from `refs/heads/NAME` and `push.tag` from `refs/tags/NAME`.
void split_ref(PushEvent& push);

/// Fails naming the first of `required` ({value, field name}) that is "" ("push event is
/// missing 'ref' (or it is not a string)").
util::Status require_fields(const std::vector<std::pair<std::string_view, const char*>>& required);

}  // namespace turnout::agent::detail
