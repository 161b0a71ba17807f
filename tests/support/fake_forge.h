#pragma once
// Stand-ins for the commit-status APIs of Gitea, Forgejo and GitLab (the forges' servers are the
// one stand-in ARCHITECTURE.md allows), beside fake_github.h and on its StandInServer: each
// checks every request against that forge's documented shape — method, path, token header,
// JSON fields and their allowed values — records it, and answers as the forge does.
//  - Gitea/Forgejo: POST /api/v1/repos/{owner}/{repo}/statuses/{sha}, `Authorization: token T`,
//    CreateStatusOption {state pending|success|error|failure|warning, context, description,
//    target_url}; 201 with the CommitStatus, 401 for a wrong token, 422 for a bad field, 404
//    for another path.
//  - GitLab: POST /api/v4/projects/{id or url-encoded path}/statuses/{sha}, `PRIVATE-TOKEN: T`,
//    {state pending|running|success|failed|canceled|skipped, name/context, description,
//    target_url, ref, coverage, pipeline_id}; 201, 401 `{"message":"401 Unauthorized"}`, 400 for
//    a bad state, a description or target_url over 255 characters, or a status that would not
//    change the state of the same name's status still open ("Cannot transition status via
//    :enqueue from :pending"), 404 for another path.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/config/forge.h"
#include "tests/support/fake_github.h"

namespace turnout::test {

/// The token every FakeForge accepts.
extern const std::string kForgeToken;

/// A stand-in for one forge's status API. Listens from construction until destruction.
class FakeForge {
 public:
  /// `forge` is gitea, forgejo or gitlab; plain HTTP on a free loopback port.
  explicit FakeForge(agent::Forge forge);
  FakeForge(const FakeForge&) = delete;
  FakeForge& operator=(const FakeForge&) = delete;

  /// `http://127.0.0.1:PORT`: what goes in the forge's `url`.
  std::string url() const;
  /// Answers the next requests with `answers`, in order, before answering normally again.
  void script(std::vector<ScriptedAnswer> answers);
  /// Every request so far, oldest first.
  std::vector<GithubRequest> requests() const;
  /// Every shape problem of every request, each prefixed by its method and path.
  std::vector<std::string> problems() const;
  /// Waits (up to `timeout`) until `done(requests())` holds; false when it never does.
  bool wait_for(const std::function<bool(const std::vector<GithubRequest>&)>& done,
                std::chrono::seconds timeout = std::chrono::seconds(60)) const;

  /// Judges and answers one request (the server's handler calls it).
  GithubRequest handle(GithubRequest request, ScriptedAnswer& answer);

 private:
  GithubRequest judge_gitea(GithubRequest request, ScriptedAnswer& answer);
  GithubRequest judge_gitlab(GithubRequest request, ScriptedAnswer& answer);

  agent::Forge forge_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::vector<GithubRequest> requests_;
  std::vector<ScriptedAnswer> script_;
  std::map<std::string, std::string> open_;  // GitLab: sha + name -> the state of a status still open
  std::int64_t next_id_ = 2000;
  std::unique_ptr<StandInServer> server_;  // last: stopped before the rest goes
};

/// The states of the status requests for `context` (Gitea's `context`, GitLab's `name`) that the
/// forge accepted (2xx), in the order they arrived.
std::vector<std::string> forge_states(const std::vector<GithubRequest>& requests, const std::string& context);

}  // namespace turnout::test
