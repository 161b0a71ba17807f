#pragma once
// Who may use the dashboard: a person signs in with the agent's API token (compared in constant
// time) and gets a session, named by a random cookie, with its own CSRF token that every form
// carries. Failed sign-ins are rate-limited for the whole agent (the server does not see client
// addresses behind a proxy) and logged. In memory: a restart signs everyone out.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace turnout::agent {

/// A signed-in person.
struct Session {
  std::string id;                                 ///< the cookie's value
  std::string csrf;                               ///< the token every form of this session carries
  std::chrono::steady_clock::time_point expires;  ///< after it, the session is gone
};

/// How a sign-in went.
enum class SignIn {
  signed_in,  ///< the token is one of the agent's: a new session
  refused,    ///< a wrong token
  throttled,  ///< too many wrong tokens lately: not even checked
};

/// What sign_in() gives back.
struct SignInAnswer {
  SignIn result = SignIn::refused;      ///< see SignIn
  std::optional<Session> session;       ///< with signed_in
  std::chrono::seconds retry_after{0};  ///< with throttled: when to try again
};

/// The sessions of one agent. Thread-safe.
class Sessions {
 public:
  /// Sign-ins accept any of `tokens` (none: nobody can sign in); a session lasts `lifetime`;
  /// at most `max_failures` wrong tokens per `failure_window`.
  explicit Sessions(std::vector<std::string> tokens, std::chrono::seconds lifetime = std::chrono::hours(12),
                    int max_failures = 5, std::chrono::seconds failure_window = std::chrono::seconds(60));

  /// Checks `token` (constant time against each accepted one) unless throttled; logs a failure.
  SignInAnswer sign_in(const std::string& token);
  /// The session named by cookie value `id`; nullopt when unknown or expired.
  std::optional<Session> find(const std::string& id);
  /// Ends the session `id` (nothing when unknown).
  void sign_out(const std::string& id);
  /// Sign-ins accept `tokens` from now on (agent.yml reloaded); when they are not the ones
  /// accepted so far, every session ends: a rotated token must not leave its sessions open.
  void accept(std::vector<std::string> tokens);

 private:
  std::vector<std::string> tokens_;
  std::chrono::seconds lifetime_;
  int max_failures_;
  std::chrono::seconds failure_window_;
  std::mutex mutex_;
  // By the SHA-256 of the id: a lookup's timing says nothing of the ids kept.
  std::map<std::string, Session> sessions_;
  std::vector<std::chrono::steady_clock::time_point> failures_;  // within the window
};

/// True when `given` is `session`'s CSRF token as a page carries it, masked (util/masked_token;
/// the compare in constant time).
bool csrf_matches(const Session& session, const std::string& given);

}  // namespace turnout::agent
