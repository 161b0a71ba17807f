#include "agent/dashboard/sessions.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "agent/client/agent_presence.h"
#include "util/hmac.h"
#include "util/masked_token.h"

namespace turnout::agent {

namespace {

// The key a session is kept under; keyed hashing is not needed, only a fixed-time lookup.
std::string key_of(const std::string& id) { return util::hmac_sha256_hex("turnout-session", id); }

// More sessions than this and the oldest go: a flood of sign-ins cannot grow memory.
constexpr std::size_t kMaxSessions = 1000;

}  // namespace

Sessions::Sessions(std::vector<std::string> tokens, std::chrono::seconds lifetime, int max_failures,
                   std::chrono::seconds failure_window)
    : tokens_(std::move(tokens)),
      lifetime_(lifetime),
      max_failures_(max_failures),
      failure_window_(failure_window) {}

SignInAnswer Sessions::sign_in(const std::string& token) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  failures_.erase(std::remove_if(failures_.begin(), failures_.end(),
                                 [&](auto at) { return now - at >= failure_window_; }),
                  failures_.end());
  if (static_cast<int>(failures_.size()) >= max_failures_) {
    const auto wait =
        std::chrono::duration_cast<std::chrono::seconds>(failures_.front() + failure_window_ - now);
    spdlog::warn("dashboard: sign-in refused unchecked: {} wrong tokens in the last {}s", failures_.size(),
                 failure_window_.count());
    return {SignIn::throttled, std::nullopt, std::max(wait, std::chrono::seconds(1))};
  }
  bool accepted = false;
  for (const auto& known : tokens_) accepted = util::constant_time_equal(known, token) || accepted;
  if (!accepted || token.empty()) {
    failures_.push_back(now);
    spdlog::warn("dashboard: sign-in with a wrong token ({} in the last {}s)", failures_.size(),
                 failure_window_.count());
    return {SignIn::refused, std::nullopt, std::chrono::seconds(0)};
  }
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = it->second.expires <= now ? sessions_.erase(it) : std::next(it);
  }
  if (sessions_.size() >= kMaxSessions) {
    sessions_.erase(std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
      return a.second.expires < b.second.expires;
    }));
  }
  Session session{make_local_token(), make_local_token(), now + lifetime_};
  sessions_[key_of(session.id)] = session;
  spdlog::info("dashboard: signed in ({} sessions)", sessions_.size());
  return {SignIn::signed_in, session, std::chrono::seconds(0)};
}

void Sessions::accept(std::vector<std::string> tokens) {
  std::lock_guard lock(mutex_);
  if (tokens == tokens_) return;
  tokens_ = std::move(tokens);
  if (sessions_.empty()) return;
  spdlog::info("dashboard: the API token changed: {} sessions ended", sessions_.size());
  sessions_.clear();
}

std::optional<Session> Sessions::find(const std::string& id) {
  if (id.empty()) return std::nullopt;
  const auto key = key_of(id);
  std::lock_guard lock(mutex_);
  const auto found = sessions_.find(key);
  if (found == sessions_.end()) return std::nullopt;
  if (found->second.expires <= std::chrono::steady_clock::now()) {
    sessions_.erase(found);
    return std::nullopt;
  }
  return found->second;
}

void Sessions::sign_out(const std::string& id) {
  const auto key = key_of(id);
  std::lock_guard lock(mutex_);
  sessions_.erase(key);
}

bool csrf_matches(const Session& session, const std::string& given) {
  const auto token = util::unmask_token(given);
  return token && util::constant_time_equal(session.csrf, *token);
}

}  // namespace turnout::agent
