#pragma once
// Release directories: each deploy runs from its own copy of the workspace, so the next build
// never touches the live files. Copies share blocks (reflinks) where the file system can, and
// never inodes: a hard link would let an in-place write to the workspace change the release.

#include <set>
#include <string>
#include <vector>

#include "util/result.h"

namespace turnout::steps::deploy {

/// Copies `workspace` (without its `.git`) into `releases_dir/name` (which must not exist yet):
/// regular files cloned (FICLONE) or copied, symlinks recreated, modes and times kept. Written under a temp
/// name and renamed, so a half copy never looks like a release. Returns the release's absolute path.
util::Result<std::string> make_release(const std::string& workspace, const std::string& releases_dir,
                                       const std::string& name);

/// Removes the oldest releases (by modification time) beyond the newest `keep`, never one whose
/// path is in `protect` (the live and previous slots' releases). Returns the removed paths.
std::vector<std::string> prune_releases(const std::string& releases_dir, int keep,
                                        const std::set<std::string>& protect);

}  // namespace turnout::steps::deploy
