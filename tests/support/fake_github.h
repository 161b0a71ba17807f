#pragma once
// A stand-in for GitHub's REST API (the one stand-in ARCHITECTURE.md allows): a local HTTP(S) server
// on 127.0.0.1 that checks every request against GitHub's documented shape — method, path,
// headers, JSON fields and their allowed values — records it, and answers the way GitHub does:
// 201 with a JSON body (`id` for deployments), 401 for a wrong token, 422 for a description
// over 140 characters or a bad field, and whatever a test scripts (403/429 rate limits, 5xx).
// Requests to /notify/... are a notify receiver's: recorded and answered 200, no GitHub checks.

#include <Poco/JSON/Object.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace turnout::test {

/// The token FakeGithub accepts unless told otherwise.
extern const std::string kGithubToken;

/// One request as it arrived, with what the fake made of it.
struct GithubRequest {
  std::string method;                                 ///< POST, ...
  std::string path;                                   ///< without the query, percent-decoded
  std::string raw_path;                               ///< without the query, as sent (`group%2Fproject`)
  std::map<std::string, std::string> headers;         ///< names in lower case
  std::string body;                                   ///< raw
  Poco::JSON::Object::Ptr json;                       ///< the body parsed, null when it is no object
  std::vector<std::string> problems;                  ///< how it breaks GitHub's documented shape
  int answered = 0;                                   ///< the status it got
  std::chrono::system_clock::time_point received_at;  ///< when it arrived

  /// A string field of the body ("" when absent).
  std::string field(const std::string& name) const;
};

/// An answer a test scripts for the next request (the checks are skipped for it).
struct ScriptedAnswer {
  int status = 500;                                 ///< e.g. 503, 403, 429
  std::map<std::string, std::string> headers;       ///< e.g. retry-after, x-ratelimit-remaining
  std::string body = "{\"message\":\"scripted\"}";  ///< GitHub's error bodies are JSON
};

/// An answer of `status` with GitHub's kind of error body and no extra headers.
ScriptedAnswer scripted(int status);

/// Checks and answers one request: fills `answer`, returns the request as recorded.
using StandInHandler = std::function<GithubRequest(GithubRequest request, ScriptedAnswer& answer)>;

/// The HTTP(S) side of a forge's stand-in: a Poco server on 127.0.0.1:`port` that reads each
/// request whole (headers by lower-case name, the body parsed as JSON when it is an object) and
/// answers what `handler` says.
class StandInServer {
 public:
  /// Does not listen before start().
  StandInServer(int port, std::optional<std::pair<std::filesystem::path, std::filesystem::path>> tls,
                StandInHandler handler);
  /// stop().
  ~StandInServer();
  StandInServer(const StandInServer&) = delete;
  StandInServer& operator=(const StandInServer&) = delete;

  /// Listens (again) on the port.
  void start();
  /// Stops listening: connections are refused.
  void stop();

 private:
  struct Server;
  int port_;
  std::optional<std::pair<std::filesystem::path, std::filesystem::path>> tls_;
  StandInHandler handler_;
  std::unique_ptr<Server> server_;
};

/// The fake. Listens from construction until destruction (or stop()).
class FakeGithub {
 public:
  /// Plain HTTP on a free loopback port; with `cert` and `key`, HTTPS.
  explicit FakeGithub(
      std::optional<std::pair<std::filesystem::path, std::filesystem::path>> tls = std::nullopt);
  ~FakeGithub();
  FakeGithub(const FakeGithub&) = delete;
  FakeGithub& operator=(const FakeGithub&) = delete;

  /// `http://127.0.0.1:PORT` (or https://localhost:PORT): what goes in `api_url`.
  std::string url() const;
  /// Stops listening: connections are refused, like a GitHub that is down.
  void stop();
  /// Listens again on the same port.
  void start();
  /// Answers the next requests with `answers`, in order, before answering normally again.
  void script(std::vector<ScriptedAnswer> answers);
  /// The token it accepts (`Authorization: Bearer <token>`).
  void accept_token(std::string token);

  /// Every request so far, oldest first.
  std::vector<GithubRequest> requests() const;
  /// The requests whose path starts with `prefix`.
  std::vector<GithubRequest> requests_to(const std::string& prefix) const;
  /// Every shape problem of every request, each prefixed by its method and path.
  std::vector<std::string> problems() const;
  /// Waits (up to `timeout`) until `done(requests())` holds; false when it never does.
  bool wait_for(const std::function<bool(const std::vector<GithubRequest>&)>& done,
                std::chrono::seconds timeout = std::chrono::seconds(60)) const;

  /// Judges and answers one request (the server's handler calls it).
  GithubRequest handle(GithubRequest request, ScriptedAnswer& answer);

 private:
  std::optional<std::pair<std::filesystem::path, std::filesystem::path>> tls_;
  int port_ = 0;
  std::unique_ptr<StandInServer> server_;
  mutable std::mutex mutex_;
  std::vector<GithubRequest> requests_;
  std::vector<ScriptedAnswer> script_;
  std::string token_;
  std::int64_t next_id_ = 1000;
  std::vector<std::int64_t> deployments_;
};

/// Every shape problem of every one of `requests`, each prefixed by its method and path.
std::vector<std::string> problems_of(const std::vector<GithubRequest>& requests);
/// Waits (up to `timeout`) until `done(requests())` holds, looking every 50 ms; false when it never does.
bool wait_for_requests(const std::function<std::vector<GithubRequest>()>& requests,
                       const std::function<bool(const std::vector<GithubRequest>&)>& done,
                       std::chrono::seconds timeout);

/// The `state`s of the status requests for `context` (on commit `sha`, unless "") that GitHub
/// accepted, in the order they arrived.
std::vector<std::string> states_of(const std::vector<GithubRequest>& requests, const std::string& context,
                                   const std::string& sha = "");
/// The accepted status requests for `context` on `sha`, in the order they arrived.
std::vector<GithubRequest> statuses_for(const std::vector<GithubRequest>& requests,
                                        const std::string& context, const std::string& sha);

}  // namespace turnout::test
