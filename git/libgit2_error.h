#pragma once
// libgit2's last error as text a person can read.

#include <string>

namespace turnout::git::detail {

/// libgit2's message for the last failed call on this thread, e.g. "failed to connect to
/// 127.0.0.1: Connection refused"; "libgit2 error <code>" when libgit2 left none.
std::string last_error_message(int code);

/// libgit2's error class (GIT_ERROR_NET, ...) for the last failed call on this thread; 0 when none.
int last_error_class();

}  // namespace turnout::git::detail
