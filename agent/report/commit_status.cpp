#include "agent/report/commit_status.h"

#include <Poco/JSON/Object.h>

#include <sstream>

#include "util/utf8.h"

namespace turnout::agent {

const char* to_string(CommitState state) {
  switch (state) {
    case CommitState::pending:
      return "pending";
    case CommitState::running:
      return "running";
    case CommitState::success:
      return "success";
    case CommitState::failure:
      return "failure";
    case CommitState::error:
      return "error";
    case CommitState::cancelled:
      return "cancelled";
  }
  return "error";
}

const char* github_state(CommitState state) {
  switch (state) {
    case CommitState::pending:
    case CommitState::running:
      return "pending";
    case CommitState::success:
      return "success";
    case CommitState::failure:
      return "failure";
    case CommitState::error:
    case CommitState::cancelled:
      return "error";
  }
  return "error";
}

std::string truncate_description(std::string_view text, std::size_t max) {
  static const std::string kEllipsis = "\xE2\x80\xA6";  // U+2026, one character
  std::size_t at = 0;
  std::size_t characters = 0;
  std::size_t cut = 0;  // where the first max - 1 characters end
  while (at < text.size()) {
    if (characters == max - 1) cut = at;
    if (characters == max) return std::string(text.substr(0, cut)) + kEllipsis;
    at = util::next_character(text, at);
    ++characters;
  }
  return std::string(text);
}

std::string status_context(const std::string& pipeline, const std::string& stage) {
  return "turnout/" + pipeline + (stage.empty() ? "" : "/" + stage);
}

std::string statuses_url(const std::string& api_url, const std::string& repo, const std::string& sha) {
  return api_url + "/repos/" + repo + "/statuses/" + sha;
}

std::string status_body(CommitState state, const std::string& context, const std::string& description,
                        const std::string& target_url) {
  Poco::JSON::Object body;
  body.set("state", github_state(state));
  body.set("context", context);
  body.set("description", truncate_description(description));
  if (!target_url.empty()) body.set("target_url", target_url);
  std::ostringstream out;
  body.stringify(out);
  return out.str();
}

std::string failure_description(const std::string& stage, const std::string& step,
                                const std::string& reason) {
  if (step.empty()) return stage + " failed" + (reason.empty() ? "" : ": " + reason);
  return stage + " failed: step \"" + step + "\"" + (reason.empty() ? "" : " " + reason);
}

std::string short_sha(const std::string& sha) { return sha.substr(0, 7); }

}  // namespace turnout::agent
