#include "git/repository_info.h"

#include <git2.h>

#include <memory>
#include <string_view>

#include "git/libgit2_handles.h"
#include "git/libgit2_session.h"

namespace turnout::git {

namespace {

using detail::ReferencePtr;
using detail::RepositoryPtr;

std::string trim_trailing_slash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

std::optional<CheckoutInfo> describe_checkout(const std::string& path) {
  const Libgit2Session session;
  git_repository* raw_repo = nullptr;
  if (git_repository_open_ext(&raw_repo, path.c_str(), 0, nullptr) != 0) return std::nullopt;
  const RepositoryPtr repo(raw_repo);

  CheckoutInfo info;
  if (const char* workdir = git_repository_workdir(repo.get())) info.root = trim_trailing_slash(workdir);
  // Read HEAD itself rather than resolving it, so an unborn branch still has its name.
  git_reference* raw_head = nullptr;
  if (git_reference_lookup(&raw_head, repo.get(), "HEAD") == 0) {
    const ReferencePtr head(raw_head);
    const char* target = git_reference_symbolic_target(head.get());
    constexpr std::string_view kBranchPrefix = "refs/heads/";
    if (target != nullptr && std::string_view(target).substr(0, kBranchPrefix.size()) == kBranchPrefix) {
      info.branch = std::string(target).substr(kBranchPrefix.size());
    }
  }
  git_oid oid;
  if (git_reference_name_to_id(&oid, repo.get(), "HEAD") == 0) info.sha = git_oid_tostr_s(&oid);
  return info;
}

}  // namespace turnout::git
