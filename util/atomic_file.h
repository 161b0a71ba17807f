#pragma once
// State files are written atomically (ARCHITECTURE.md invariant 6): a reader sees the old content or
// the new, never half of either, and a crash leaves one of the two.

#include <sys/types.h>
#include <string>

#include "util/result.h"

namespace turnout::util {

/// Writes `content` to `path` through a temp file in the same folder: write, fsync, rename over
/// `path`, fsync the folder. The file gets `mode` (before any byte is written). Fails naming
/// the path; a failed write leaves `path` as it was and no temp file behind.
Status write_file_atomically(const std::string& path, const std::string& content, mode_t mode = 0644);

}  // namespace turnout::util
