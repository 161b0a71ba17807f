#include "agent/webhook/gitlab_event.h"

#include <algorithm>
#include <cstddef>
#include <string>

#include "agent/webhook/payload_fields.h"
#include "agent/webhook/push_fields.h"

namespace turnout::agent {

namespace {

constexpr std::size_t kMaxEventName = 64;

// The payload fields the agent reads, in the order of kPaths.
enum class Field {
  object_kind,
  ref,
  before,
  after,
  checkout_sha,
  user_username,
  project_path,
  project_http_url,
  project_ssh_url,
};

constexpr PayloadPath kPaths[] = {
    {"", "object_kind"},
    {"", "ref"},
    {"", "before"},
    {"", "after"},
    {"", "checkout_sha"},
    {"", "user_username"},
    {"project", "path_with_namespace"},
    {"project", "git_http_url"},
    {"project", "git_ssh_url"},
};

using Fields = std::vector<PayloadValue>;

std::string text_of(const Fields& fields, Field field) {
  return detail::text_of(fields[static_cast<std::size_t>(field)]);
}

// GitLab's event names are words with spaces: `Push Hook`, `Merge Request Hook`.
bool is_hook_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxEventName && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ';
  });
}

util::Result<PushEvent> read_push(const Fields& fields, std::string_view hook) {
  const auto kind = text_of(fields, Field::object_kind);
  const std::string expected = hook == "Tag Push Hook" ? "tag_push" : "push";
  if (!kind.empty() && kind != expected)
    return detail::invalid_delivery("X-Gitlab-Event is '" + std::string(hook) +
                                    "' but the body's object_kind is '" + kind + "'");
  PushEvent push;
  push.ref = text_of(fields, Field::ref);
  push.repository_full_name = text_of(fields, Field::project_path);
  const auto after = text_of(fields, Field::after);
  const auto present = detail::require_fields(
      {{push.ref, "ref"}, {push.repository_full_name, "project.path_with_namespace"}, {after, "after"}});
  if (!present) return present.error();
  if (!detail::is_commit_id(after))
    return detail::invalid_delivery("push event's 'after' is not a commit id");
  const auto checkout = text_of(fields, Field::checkout_sha);
  if (!checkout.empty() && !detail::is_commit_id(checkout))
    return detail::invalid_delivery("push event's 'checkout_sha' is not a commit id");
  push.after = checkout.empty() ? after : checkout;
  push.before = text_of(fields, Field::before);
  push.clone_url = text_of(fields, Field::project_http_url);
  push.ssh_url = text_of(fields, Field::project_ssh_url);
  push.pusher = text_of(fields, Field::user_username);
  push.deleted = detail::is_zero_commit(after);
  push.created = detail::is_zero_commit(push.before);
  detail::split_ref(push);
  return push;
}

}  // namespace

util::Result<ParsedEvent> parse_gitlab_event(std::string_view event_header, std::string_view body) {
  if (event_header.empty()) return detail::invalid_delivery("missing X-Gitlab-Event header");
  if (!is_hook_name(event_header)) return detail::invalid_delivery("X-Gitlab-Event is not an event name");
  auto fields = read_payload_fields(body, kPaths);
  if (!fields) return detail::invalid_delivery("webhook body " + fields.error().message);
  ParsedEvent event;
  event.event = std::string(event_header);
  event.repository = text_of(fields.value(), Field::project_path);
  if (event.event != "Push Hook" && event.event != "Tag Push Hook") return event;
  auto push = read_push(fields.value(), event_header);
  if (!push) return push.error();
  event.kind = EventKind::push;
  event.push = std::move(push).value();
  return event;
}

}  // namespace turnout::agent
