#pragma once
// The working tree a run builds in: a clean checkout of one commit, objects borrowed from the mirror.

#include <string>

#include "util/result.h"

namespace turnout::git::detail {

/// Makes `path` a working tree of commit `sha` (40 hex) whose objects are read from the bare
/// repository `mirror` through `.git/objects/info/alternates` (nothing copied). Creates the
/// repository on first use, re-creates it when it is damaged; tracked files are reset, untracked
/// and ignored ones removed, HEAD is detached at `sha`. The caller holds the workspace's lease.
util::Status check_out(const std::string& path, const std::string& mirror, const std::string& sha);

}  // namespace turnout::git::detail
