#include "agent/webhook/github_event.h"

#include <algorithm>
#include <cstddef>
#include <utility>

#include "agent/webhook/payload_fields.h"
#include "agent/webhook/push_fields.h"
#include "util/strings.h"

namespace turnout::agent {

namespace {

// The payload fields the agent reads, in the order of kPaths.
enum class Field {
  ref,
  before,
  after,
  compare,
  deleted,
  created,
  forced,
  zen,
  hook_id,
  repository_full_name,
  repository_clone_url,
  repository_ssh_url,
  pusher_name,
  head_commit_message,
};

constexpr PayloadPath kPaths[] = {
    {"", "ref"},
    {"", "before"},
    {"", "after"},
    {"", "compare"},
    {"", "deleted"},
    {"", "created"},
    {"", "forced"},
    {"", "zen"},
    {"", "hook_id"},
    {"repository", "full_name"},
    {"repository", "clone_url"},
    {"repository", "ssh_url"},
    {"pusher", "name"},
    {"head_commit", "message"},
};

using Fields = std::vector<PayloadValue>;

util::Error invalid(std::string message) { return detail::invalid_delivery(std::move(message)); }

const PayloadValue& at(const Fields& fields, Field field) { return fields[static_cast<std::size_t>(field)]; }

std::string text_of(const Fields& fields, Field field) { return detail::text_of(at(fields, field)); }

bool flag_of(const Fields& fields, Field field) { return detail::flag_of(at(fields, field)); }

util::Result<PushEvent> read_push(const Fields& fields) {
  PushEvent push;
  const auto present =
      detail::require_fields({{text_of(fields, Field::ref), "ref"},
                              {text_of(fields, Field::repository_full_name), "repository.full_name"},
                              {text_of(fields, Field::after), "after"}});
  if (!present) return present.error();
  push.ref = text_of(fields, Field::ref);
  push.repository_full_name = text_of(fields, Field::repository_full_name);
  push.after = text_of(fields, Field::after);
  if (!detail::is_commit_id(push.after)) return invalid("push event's 'after' is not a commit id");
  push.clone_url = text_of(fields, Field::repository_clone_url);
  push.ssh_url = text_of(fields, Field::repository_ssh_url);
  push.before = text_of(fields, Field::before);
  push.pusher = text_of(fields, Field::pusher_name);
  push.head_commit_message = text_of(fields, Field::head_commit_message);
  push.compare_url = text_of(fields, Field::compare);
  push.deleted = flag_of(fields, Field::deleted);
  push.created = flag_of(fields, Field::created);
  push.forced = flag_of(fields, Field::forced);
  detail::split_ref(push);
  return push;
}

// hook_id is 0 unless it is an integer (or `true`, 1, as Poco's conversion had it); one past
// int64 is refused, as it was when that conversion threw on it.
util::Result<PingEvent> read_ping(const Fields& fields) {
  PingEvent ping;
  ping.zen = text_of(fields, Field::zen);
  const PayloadValue& id = at(fields, Field::hook_id);
  if (id.kind == PayloadValue::Kind::too_large)
    return invalid("webhook body could not be read: 'hook_id' is out of range (more than 2^63 - 1)");
  if (id.kind == PayloadValue::Kind::integer) ping.hook_id = id.integer;
  if (id.kind == PayloadValue::Kind::boolean) ping.hook_id = id.flag ? 1 : 0;
  return ping;
}

}  // namespace

const char* to_string(EventKind kind) {
  switch (kind) {
    case EventKind::ping:
      return "ping";
    case EventKind::push:
      return "push";
    case EventKind::other:
      return "other";
  }
  return "unknown";
}

util::Result<ParsedEvent> parse_github_event(std::string_view event_header, std::string_view body) {
  if (event_header.empty()) return invalid("missing X-GitHub-Event header");
  if (!detail::is_event_name(event_header)) return invalid("X-GitHub-Event is not an event name");
  auto fields = read_payload_fields(body, kPaths);
  if (!fields) return invalid("webhook body " + fields.error().message);
  const Fields& read = fields.value();
  ParsedEvent event;
  event.event = std::string(event_header);
  event.repository = text_of(read, Field::repository_full_name);
  if (event.event == "ping") {
    auto ping = read_ping(read);
    if (!ping) return ping.error();
    event.kind = EventKind::ping;
    event.ping = std::move(ping).value();
  } else if (event.event == "push") {
    auto push = read_push(read);
    if (!push) return push.error();
    event.kind = EventKind::push;
    event.push = std::move(push).value();
  }
  return event;
}

Decision decide(const PushEvent& push, const std::vector<std::string>& watched) {
  if (!push.tag.empty()) return Decision{false, "tag push (" + push.ref + ")"};
  if (push.deleted) return Decision{false, "branch deleted (" + push.ref + ")"};
  if (push.branch.empty()) return Decision{false, "not a branch push (" + push.ref + ")"};
  const bool matched = std::any_of(watched.begin(), watched.end(), [&](const std::string& pattern) {
    return util::glob_match(pattern, push.branch);
  });
  if (matched) return Decision{true, "push to watched branch '" + push.branch + "'"};
  const std::string list = watched.empty() ? std::string("none") : util::join(watched, ", ");
  return Decision{false, "branch '" + push.branch + "' is not watched (watched: " + list + ")"};
}

}  // namespace turnout::agent
