#include "agent/webhook/gitea_event.h"

#include <cstddef>
#include <string>

#include "agent/webhook/payload_fields.h"
#include "agent/webhook/push_fields.h"

namespace turnout::agent {

namespace {

// The payload fields the agent reads, in the order of kPaths.
enum class Field {
  ref,
  before,
  after,
  compare_url,
  repository_full_name,
  repository_clone_url,
  repository_ssh_url,
  pusher_login,
  head_commit_message,
};

constexpr PayloadPath kPaths[] = {
    {"", "ref"},
    {"", "before"},
    {"", "after"},
    {"", "compare_url"},
    {"repository", "full_name"},
    {"repository", "clone_url"},
    {"repository", "ssh_url"},
    {"pusher", "login"},
    {"head_commit", "message"},
};

using Fields = std::vector<PayloadValue>;

std::string text_of(const Fields& fields, Field field) {
  return detail::text_of(fields[static_cast<std::size_t>(field)]);
}

util::Result<PushEvent> read_push(const Fields& fields) {
  PushEvent push;
  push.ref = text_of(fields, Field::ref);
  push.repository_full_name = text_of(fields, Field::repository_full_name);
  push.after = text_of(fields, Field::after);
  const auto present = detail::require_fields(
      {{push.ref, "ref"}, {push.repository_full_name, "repository.full_name"}, {push.after, "after"}});
  if (!present) return present.error();
  if (!detail::is_commit_id(push.after))
    return detail::invalid_delivery("push event's 'after' is not a commit id");
  push.before = text_of(fields, Field::before);
  push.clone_url = text_of(fields, Field::repository_clone_url);
  push.ssh_url = text_of(fields, Field::repository_ssh_url);
  push.pusher = text_of(fields, Field::pusher_login);
  push.head_commit_message = text_of(fields, Field::head_commit_message);
  push.compare_url = text_of(fields, Field::compare_url);
  push.deleted = detail::is_zero_commit(push.after);
  push.created = detail::is_zero_commit(push.before);
  detail::split_ref(push);
  return push;
}

}  // namespace

util::Result<ParsedEvent> parse_gitea_event(std::string_view header_name, std::string_view event_header,
                                            std::string_view body) {
  const std::string header(header_name);
  if (event_header.empty()) return detail::invalid_delivery("missing " + header + " header");
  if (!detail::is_event_name(event_header)) return detail::invalid_delivery(header + " is not an event name");
  auto fields = read_payload_fields(body, kPaths);
  if (!fields) return detail::invalid_delivery("webhook body " + fields.error().message);
  ParsedEvent event;
  event.event = std::string(event_header);
  event.repository = text_of(fields.value(), Field::repository_full_name);
  if (event.event != "push") return event;
  auto push = read_push(fields.value());
  if (!push) return push.error();
  event.kind = EventKind::push;
  event.push = std::move(push).value();
  return event;
}

}  // namespace turnout::agent
