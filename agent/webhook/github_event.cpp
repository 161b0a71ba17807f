#include "agent/webhook/github_event.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <exception>
#include <optional>
#include <utility>

#include "util/strings.h"

namespace turnout::agent {

namespace {

using Poco::JSON::Object;

const std::string_view kBranchPrefix = "refs/heads/";
const std::string_view kTagPrefix = "refs/tags/";
constexpr std::size_t kMaxEventName = 64;

util::Error invalid(std::string message) { return util::fail(std::move(message), util::ErrorKind::invalid); }

// GitHub's event names are lowercase words joined by `_` (`push`, `pull_request_review`).
bool is_event_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxEventName && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

// The object at a dotted path (`repository`, `pusher`), or null when any part is absent or
// not an object.
Object::Ptr object_at(const Object::Ptr& root, std::string_view path) {
  Object::Ptr node = root;
  while (node && !path.empty()) {
    const auto dot = path.find('.');
    node = node->getObject(std::string(path.substr(0, dot)));
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  return node;
}

// The string at a dotted path (`repository.full_name`); nullopt when absent, null or not a string.
std::optional<std::string> string_at(const Object::Ptr& root, std::string_view path) {
  const auto dot = path.rfind('.');
  const auto parent = dot == std::string_view::npos ? root : object_at(root, path.substr(0, dot));
  if (!parent) return std::nullopt;
  const auto value = parent->get(std::string(dot == std::string_view::npos ? path : path.substr(dot + 1)));
  if (!value.isString()) return std::nullopt;
  return value.extract<std::string>();
}

std::string text_at(const Object::Ptr& root, std::string_view path) {
  return string_at(root, path).value_or("");
}

bool flag_at(const Object::Ptr& root, const std::string& key) {
  const auto value = root->get(key);
  return value.type() == typeid(bool) && value.extract<bool>();
}

// A commit id: 40 hex digits (SHA-1), or 64 in a SHA-256 repository.
bool is_commit_id(std::string_view text) {
  const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  return (text.size() == 40 || text.size() == 64) && std::all_of(text.begin(), text.end(), hex);
}

util::Result<Object::Ptr> parse_object(std::string_view body) {
  Poco::Dynamic::Var parsed;
  try {
    Poco::JSON::Parser parser;
    parsed = parser.parse(std::string(body));
  } catch (const Poco::Exception& error) {
    return invalid("webhook body is not valid JSON: " + error.message());
  }
  if (parsed.type() != typeid(Object::Ptr)) return invalid("webhook body must be a JSON object");
  return parsed.extract<Object::Ptr>();
}

void split_ref(PushEvent& push) {
  const std::string_view ref = push.ref;
  if (ref.substr(0, kBranchPrefix.size()) == kBranchPrefix) push.branch = ref.substr(kBranchPrefix.size());
  if (ref.substr(0, kTagPrefix.size()) == kTagPrefix) push.tag = ref.substr(kTagPrefix.size());
}

util::Result<PushEvent> read_push(const Object::Ptr& root) {
  PushEvent push;
  for (const char* required : {"ref", "repository.full_name", "after"}) {
    if (text_at(root, required).empty()) {
      return invalid(std::string("push event is missing '") + required + "' (or it is not a string)");
    }
  }
  push.ref = text_at(root, "ref");
  push.repository_full_name = text_at(root, "repository.full_name");
  push.after = text_at(root, "after");
  if (!is_commit_id(push.after)) return invalid("push event's 'after' is not a commit id");
  push.clone_url = text_at(root, "repository.clone_url");
  push.ssh_url = text_at(root, "repository.ssh_url");
  push.before = text_at(root, "before");
  push.pusher = text_at(root, "pusher.name");
  push.head_commit_message = text_at(root, "head_commit.message");
  push.compare_url = text_at(root, "compare");
  push.deleted = flag_at(root, "deleted");
  push.created = flag_at(root, "created");
  push.forced = flag_at(root, "forced");
  split_ref(push);
  return push;
}

PingEvent read_ping(const Object::Ptr& root) {
  PingEvent ping;
  ping.zen = text_at(root, "zen");
  const auto id = root->get("hook_id");
  if (id.isInteger()) ping.hook_id = id.convert<Poco::Int64>();
  return ping;
}

util::Result<ParsedEvent> parse(std::string_view event_header, std::string_view body) {
  if (event_header.empty()) return invalid("missing X-GitHub-Event header");
  if (!is_event_name(event_header)) return invalid("X-GitHub-Event is not an event name");
  auto root = parse_object(body);
  if (!root) return root.error();
  ParsedEvent event;
  event.event = std::string(event_header);
  event.repository = text_at(root.value(), "repository.full_name");
  if (event.event == "ping") {
    event.kind = EventKind::ping;
    event.ping = read_ping(root.value());
  } else if (event.event == "push") {
    auto push = read_push(root.value());
    if (!push) return push.error();
    event.kind = EventKind::push;
    event.push = std::move(push).value();
  }
  return event;
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
  // Poco's Var conversions throw on surprises (a hook id past 2^63); a delivery is bad input,
  // never a crash of the handler.
  try {
    return parse(event_header, body);
  } catch (const Poco::Exception& error) {
    return invalid("webhook body could not be read: " + error.message());
  } catch (const std::exception& error) {
    return invalid(std::string("webhook body could not be read: ") + error.what());
  }
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
