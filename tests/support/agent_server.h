#pragma once
// A real `turnout serve` for tests: its own temp folder, agent.yml, data dir and loopback port,
// a local app repository to build, and real HTTP to talk to it. Stopped when it goes.

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPRequest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/config/forge.h"
#include "tests/support/background_process.h"
#include "tests/support/git_repo.h"
#include "tests/support/temp_dir.h"

namespace turnout::test {

/// The webhook secret every AgentServer is configured with.
extern const std::string kAgentSecret;

/// An HTTP answer.
struct Answer {
  int status = 0;    ///< HTTP status
  std::string body;  ///< the whole body

  /// The body as a JSON object (fails the test when it is not one).
  Poco::JSON::Object::Ptr json() const;
};

/// A GitHub fixture payload from tests/fixtures/webhooks/github/<relative>.
std::filesystem::path github_fixture(const std::string& relative);

/// woodpecker's real push payload (repository woodpecker-ci/woodpecker) with `after` set to
/// `sha` and `ref` to refs/heads/`branch`: a push of a commit the test made.
std::string push_payload(const std::string& sha, const std::string& branch = "main");

/// The real push payload of `forge` (GitHub's: push_payload; Gitea's and Forgejo's: Gitea's
/// fixture; GitLab's: its push fixture) with the commit set to `sha`, the ref to
/// refs/heads/`branch` and the repository to woodpecker-ci/woodpecker.
std::string forge_push_payload(agent::Forge forge, const std::string& sha,
                               const std::string& branch = "main");

/// A `turnout serve` with one watched repository, woodpecker-ci/woodpecker, fetched from a
/// local repository (`app`) that the test commits pipelines to.
class AgentServer {
 public:
  /// `extra` is appended to agent.yml's top level (e.g. "workers: 1\n"); `branches` are the
  /// watched ones. Starts unless `start_now` is false.
  explicit AgentServer(std::string extra = "", std::vector<std::string> branches = {"main"},
                       bool start_now = true);

  TempDir dir;                                 ///< agent.yml, secret, data/, app/, serve.log
  GitRepo app;                                 ///< the repository the agent builds
  int port = 0;                                ///< where it listens
  std::unique_ptr<BackgroundProcess> process;  ///< the agent
  /// Appended to the repository's item in agent.yml, each line indented by 4 spaces (e.g.
  /// "github: {...}\n"); set it before start().
  std::string repo_extra;
  /// agent.yml's public_url (an https one makes the dashboard's cookies Secure); set it before start().
  std::string public_url = "http://ci.test";

  /// Starts (or starts again) the agent and waits until /healthz answers; retries on another
  /// port when the chosen one was taken meanwhile.
  void start(const std::vector<std::string>& flags = {});
  /// agent.yml's path.
  std::filesystem::path config() const { return dir / "agent.yml"; }
  /// The data folder.
  std::filesystem::path data() const { return dir / "data"; }

  /// Any request, with `body`.
  Answer request(Poco::Net::HTTPRequest& request, const std::string& body = "");
  /// GET `path`; under /api with the agent's own token (agent.json's), as the CLI would send it.
  Answer get(const std::string& path);
  /// The token of the agent's agent.json (which its API accepts); "" when it has none.
  std::string local_token() const;
  /// POST `path` with an optional `Authorization` header value.
  Answer post_api(const std::string& path, const std::string& authorization = "");
  /// A delivery as GitHub sends it; `signature` nullopt: signed with the right secret.
  Answer post(const std::string& event, const std::string& delivery, const std::string& body,
              std::optional<std::string> signature = std::nullopt);
  /// A fixture payload (tests/fixtures/webhooks/github/<relative>) as the event its folder names.
  Answer post_fixture(const std::string& relative, const std::string& delivery);
  /// Sends `bytes` as they are over a raw connection, shuts down our side when asked, and
  /// returns the status line's code (0 when none came back).
  int raw(const std::string& bytes, bool shutdown_send);
  /// POST /webhook with `headers` (name, value) and `body`, as they are.
  Answer post_headers(const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body);
  /// A push of `sha` to `branch` as `forge` sends it (forge_push_payload), with that forge's
  /// headers (Gitea's and GitHub's besides for Gitea; Forgejo's and Gitea's for Forgejo), signed
  /// with kAgentSecret (GitLab: kAgentSecret as its token).
  Answer push_from(agent::Forge forge, const std::string& sha, const std::string& delivery,
                   const std::string& branch = "main");
  /// A push of `sha` to `branch` (see push_payload).
  Answer push(const std::string& sha, const std::string& delivery, const std::string& branch = "main");

  /// `turnout runs --json` on the data folder.
  Poco::JSON::Array::Ptr runs();
  /// GET /api/runs/{id}.
  Poco::JSON::Object::Ptr run(int id);
  /// Waits (up to `timeout`) until run `id` has a final status; returns the run.
  Poco::JSON::Object::Ptr wait_until_ended(int id, std::chrono::seconds timeout = std::chrono::seconds(120));
  /// Waits (up to 2 minutes) until run `id` has a step running (its pipeline is loaded and its
  /// work started); fails the test when it never does.
  void wait_until_working(int id);
  /// Waits (up to `timeout`) until `done(runs())` holds; fails the test when it never does.
  void wait_for(const std::function<bool(const Poco::JSON::Array::Ptr&)>& done,
                std::chrono::seconds timeout = std::chrono::seconds(120));

 private:
  bool wait_healthy();
  std::string extra_;
  std::vector<std::string> branches_;
};

/// The `status` of every run in `runs` with `sha`, oldest first.
std::vector<std::string> statuses_of(const Poco::JSON::Array::Ptr& runs, const std::string& sha);

}  // namespace turnout::test
