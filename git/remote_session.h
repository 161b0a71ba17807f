#pragma once
// One connection to a remote for fetching into a mirror: list its refs, download what is asked.
// Internal to git/: included by .cpp files only (it needs <git2.h>).

#include <git2.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "git/credentials.h"
#include "git/libgit2_handles.h"
#include "git/remote_url.h"
#include "util/result.h"

namespace turnout::git::detail {

/// What the credential callback saw, to turn libgit2's failures into actionable text.
struct AuthState {
  const RemoteUrl* url = nullptr;
  const Credentials* credentials = nullptr;
  int offers = 0;       ///< how many credentials were offered (a second request = rejected)
  std::string problem;  ///< set when no credential could be offered, and why
};

/// A connected remote; the connection ends when this goes away.
class RemoteSession {
 public:
  /// Connects `mirror` to `url` for fetching, authenticating with `credentials`. Fails with
  /// "cannot reach <url>: ..." or "authentication failed for <url>: ...".
  static util::Result<RemoteSession> connect(git_repository* mirror, const RemoteUrl& url,
                                             const Credentials& credentials);

  /// The id the remote advertises for the full ref `name`; nullopt when it has no such ref.
  std::optional<git_oid> find(const std::string& name) const;
  /// The remote's default branch (its HEAD), e.g. `refs/heads/main`. Fails when HEAD is unborn.
  util::Result<std::string> default_branch();
  /// Downloads what `refspecs` need and updates the mirror's refs accordingly.
  util::Status fetch(const std::vector<std::string>& refspecs);

 private:
  RemoteSession() = default;
  util::Error error(const std::string& action, int code) const;

  RemotePtr remote_;
  std::unique_ptr<AuthState> auth_;  // the callbacks point at it: it must not move
  git_remote_callbacks callbacks_ = GIT_REMOTE_CALLBACKS_INIT;
  std::vector<std::pair<std::string, git_oid>> advertised_;
};

}  // namespace turnout::git::detail
