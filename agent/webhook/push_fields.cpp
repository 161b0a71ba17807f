#include "agent/webhook/push_fields.h"

#include <algorithm>

namespace turnout::agent::detail {

namespace {

const std::string_view kBranchPrefix = "refs/heads/";
const std::string_view kTagPrefix = "refs/tags/";
constexpr std::size_t kMaxEventName = 64;

}  // namespace

util::Error invalid_delivery(std::string message) {
  return util::fail(std::move(message), util::ErrorKind::invalid);
}

bool is_event_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxEventName && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

std::string text_of(const PayloadValue& value) {
  return value.kind == PayloadValue::Kind::string ? value.text : std::string();
}

bool flag_of(const PayloadValue& value) { return value.kind == PayloadValue::Kind::boolean && value.flag; }

bool is_commit_id(std::string_view text) {
  const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  return (text.size() == 40 || text.size() == 64) && std::all_of(text.begin(), text.end(), hex);
}

bool is_zero_commit(std::string_view text) {
  return is_commit_id(text) && std::all_of(text.begin(), text.end(), [](char c) { return c == '0'; });
}

void split_ref(PushEvent& push) {
  const std::string_view ref = push.ref;
  if (ref.substr(0, kBranchPrefix.size()) == kBranchPrefix) push.branch = ref.substr(kBranchPrefix.size());
  if (ref.substr(0, kTagPrefix.size()) == kTagPrefix) push.tag = ref.substr(kTagPrefix.size());
}

util::Status require_fields(const std::vector<std::pair<std::string_view, const char*>>& required) {
  for (const auto& [value, name] : required) {
    if (value.empty())
      return invalid_delivery(std::string("push event is missing '") + name + "' (or it is not a string)");
  }
  return util::Ok{};
}

}  // namespace turnout::agent::detail
