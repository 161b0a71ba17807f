#pragma once
// Telling, without a checkout, whether a workspace is still exactly the commit last checked out,
// and which tracked files a checkout must not trust. Internal to git/ (it needs <git2.h>).

#include <git2.h>

#include <string>
#include <vector>

namespace turnout::git::detail {

/// What a look at a work tree found.
struct WorkTreeState {
  /// True only when the work tree is provably still what remember_clean() recorded for the
  /// commit asked about: the same index file, HEAD detached there, every tracked file as the
  /// index describes it, and no other file or folder (ignored ones included).
  bool clean = false;
  /// The commit the work tree provably still holds exactly as it was checked out (the one
  /// recorded, when everything matches that record); "" when it holds anything else.
  std::string head;
  /// Tracked files (relative paths) whose stat data (ctime included: every write moves it)
  /// or content differs from the index. libgit2's checkout trusts a file with the size and mtime
  /// the index records, so these are deleted first and written anew.
  std::vector<std::string> suspects;
};

/// True when nothing outside the work tree (the repository's info/attributes, the user's or the
/// system's attributes file, core.attributesFile, core.autocrlf=true) can make a checkout
/// filter apply: then only .gitattributes files in the tree can.
bool filters_only_from_tree(git_repository* repo);

/// Records that the work tree of `repo` is, right now, exactly commit `sha` (full hex) as a
/// checkout just left it: the commit and the identity of the index file go to `.git/turnout-clean`.
void remember_clean(git_repository* repo, const std::string& sha);

/// Compares the work tree of `repo` with its index and with what remember_clean() recorded for
/// `sha`. Reads the index file itself (libgit2's loader hashes and sorts it, which costs more
/// than the whole walk); anything it cannot read makes the tree not clean.
WorkTreeState inspect(git_repository* repo, const std::string& sha);

}  // namespace turnout::git::detail
