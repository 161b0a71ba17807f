#include "agent/report/gitlab_status.h"

#include <Poco/JSON/Object.h>

#include <sstream>

#include "util/utf8.h"

namespace turnout::agent {

namespace {

std::size_t characters(const std::string& text) {
  std::size_t count = 0;
  for (std::size_t at = 0; at < text.size(); at = util::next_character(text, at)) ++count;
  return count;
}

}  // namespace

const char* gitlab_state(CommitState state) {
  switch (state) {
    case CommitState::pending:
      return "pending";
    case CommitState::running:
      return "running";
    case CommitState::success:
      return "success";
    case CommitState::failure:
    case CommitState::error:
      return "failed";
    case CommitState::cancelled:
      return "canceled";
  }
  return "failed";
}

std::string url_encode_path(const std::string& path) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0f];
    }
  }
  return out;
}

std::string gitlab_statuses_url(const std::string& base_url, const std::string& project,
                                const std::string& sha) {
  return base_url + "/api/v4/projects/" + url_encode_path(project) + "/statuses/" + sha;
}

std::string gitlab_status_body(CommitState state, const std::string& context, const std::string& description,
                               const std::string& target_url) {
  Poco::JSON::Object body;
  body.set("state", gitlab_state(state));
  body.set("name", context);
  body.set("description", truncate_description(description, kGitlabMaxText));
  if (!target_url.empty() && characters(target_url) <= kGitlabMaxText) body.set("target_url", target_url);
  std::ostringstream out;
  body.stringify(out);
  return out.str();
}

}  // namespace turnout::agent
