#pragma once
// The first fetch from a repository on this machine, done the way `git clone --local` does it.
// Internal to git/.

#include <string>

namespace turnout::git::detail {

/// Fills the empty bare repository `mirror` with the objects of the local repository at
/// `source` (a work tree or a bare repository): its pack files are hard-linked (copied across
/// file systems) and its loose objects copied, instead of libgit2's local transport repacking
/// every object, which takes seconds per ten thousand objects. Refs are left to the fetch
/// that follows, which then finds every object present and downloads nothing. Returns false,
/// having changed nothing that matters, when `source` borrows objects from elsewhere
/// (alternates) or cannot be read; the caller then fetches as usual.
bool seed_from_local(const std::string& source, const std::string& mirror);

}  // namespace turnout::git::detail
