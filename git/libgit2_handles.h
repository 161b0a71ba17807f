#pragma once
// Owning handles for libgit2 objects: a unique_ptr that calls the matching git_*_free.

#include <git2.h>

#include <memory>

namespace turnout::git::detail {

/// Calls `Free` on a libgit2 object; the deleter of the handles below.
template <typename T, void (*Free)(T*)>
struct Libgit2Deleter {
  /// Frees `object` (libgit2's free functions accept null).
  void operator()(T* object) const { Free(object); }
};

/// An owned git_repository.
using RepositoryPtr = std::unique_ptr<git_repository, Libgit2Deleter<git_repository, git_repository_free>>;
/// An owned git_reference.
using ReferencePtr = std::unique_ptr<git_reference, Libgit2Deleter<git_reference, git_reference_free>>;
/// An owned git_remote.
using RemotePtr = std::unique_ptr<git_remote, Libgit2Deleter<git_remote, git_remote_free>>;
/// An owned git_object (commit, tree, tag or blob).
using ObjectPtr = std::unique_ptr<git_object, Libgit2Deleter<git_object, git_object_free>>;
/// An owned git_commit.
using CommitPtr = std::unique_ptr<git_commit, Libgit2Deleter<git_commit, git_commit_free>>;

/// An owned git_tree.
using TreePtr = std::unique_ptr<git_tree, Libgit2Deleter<git_tree, git_tree_free>>;

/// An owned git_index.
using IndexPtr = std::unique_ptr<git_index, Libgit2Deleter<git_index, git_index_free>>;

/// An owned git_diff.
using DiffPtr = std::unique_ptr<git_diff, Libgit2Deleter<git_diff, git_diff_free>>;

/// Owns a git_buf and disposes of it.
class Buf {
 public:
  Buf() = default;
  ~Buf() { git_buf_dispose(&buf_); }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;

  /// For libgit2 calls that fill a git_buf.
  git_buf* get() { return &buf_; }
  /// The content ("" when empty).
  const char* c_str() const { return buf_.ptr != nullptr ? buf_.ptr : ""; }

 private:
  git_buf buf_ = GIT_BUF_INIT;
};

}  // namespace turnout::git::detail
