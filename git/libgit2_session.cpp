#include "git/libgit2_session.h"

#include <git2.h>

namespace turnout::git {

Libgit2Session::Libgit2Session() { git_libgit2_init(); }
Libgit2Session::~Libgit2Session() { git_libgit2_shutdown(); }

}  // namespace turnout::git
