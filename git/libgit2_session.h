#pragma once

namespace turnout::git {

/// Keeps libgit2 initialised for its lifetime (git_libgit2_init/shutdown are reference-counted).
class Libgit2Session {
 public:
  /// Initialises libgit2 (once per process in effect).
  Libgit2Session();
  ~Libgit2Session();
  Libgit2Session(const Libgit2Session&) = delete;
  Libgit2Session& operator=(const Libgit2Session&) = delete;
};

}  // namespace turnout::git
