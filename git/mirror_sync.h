#pragma once
// Getting the exact commit a run needs: one cached bare mirror per remote, and a clean workspace.

#include <string>

#include "git/credentials.h"
#include "git/libgit2_session.h"
#include "util/file_lock.h"
#include "util/result.h"

namespace turnout::git {

/// What to check out.
struct SyncRequest {
  std::string url;  ///< a local path, file://, https://, http:// (loopback), ssh:// or git@host:path
  std::string ref;  ///< "" or "HEAD" = the remote's default branch; a branch, a tag, or a full refs/... name
  std::string sha;  ///< "" = the tip of `ref`; else a commit id (4 to 40 hex digits)
  Credentials credentials;  ///< what to authenticate with, if the remote asks
};

/// A workspace holding a clean checkout of one commit. The workspace stays this run's while the
/// Checkout lives (its lease): a sync of the same remote meanwhile gets another workspace.
struct Checkout {
  std::string workspace;  ///< the working tree, `<data>/workspaces/<name>` (or `<name>.2`, ...)
  std::string sha;        ///< the full 40-hex id of the commit checked out (HEAD is detached there)
  std::string ref;       ///< the full ref it came from (`refs/heads/main`, `refs/tags/v1`); "" for a bare sha
  std::string branch;    ///< short branch name (`main`); "" when `ref` is not a branch
  std::string mirror;    ///< the bare mirror, `<data>/mirrors/<name>.git`
  util::FileLock lease;  ///< held on `<workspace>.lock` until this Checkout is destroyed
};

/// The mirror cache under one data folder: `<data>/mirrors/` and `<data>/workspaces/`.
class Mirrors {
 public:
  /// Uses (and creates on first sync) the folders under `data_dir`.
  explicit Mirrors(std::string data_dir);

  /// Brings the remote's mirror up to date as far as `request` needs (no network at all when the
  /// asked sha and ref are already there; no download when the remote ref has not moved) and
  /// checks the commit out into a clean workspace. Syncs of one remote are serialised by a
  /// flock on `<data>/mirrors/<name>.lock`, across threads and processes. Fails with a line a
  /// person can act on: malformed URL, cannot reach, authentication failed, ref not found,
  /// commit not found after fetch. Credentials never appear in the text.
  util::Result<Checkout> sync(const SyncRequest& request) const;

  /// The data folder given at construction.
  const std::string& data_dir() const { return data_dir_; }

 private:
  std::string data_dir_;
  Libgit2Session session_;
};

}  // namespace turnout::git
