#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace turnout::test {

/// Runs the git CLI in `dir` with a fixed identity and default branch `main`, whatever the
/// machine's git configuration; returns stdout without its last newline. Throws
/// std::runtime_error with git's stderr when git fails.
std::string run_git(const std::filesystem::path& dir, const std::vector<std::string>& args);

/// A real git repository made with the git CLI, that tests commit to and sync or run from.
class GitRepo {
 public:
  /// `git init` in `path` (created when missing), on branch main.
  explicit GitRepo(std::filesystem::path path);

  /// Writes `files` (nullopt = delete it), commits everything (even nothing), returns the sha.
  std::string commit(const std::map<std::string, std::optional<std::string>>& files,
                     const std::string& message = "change");
  /// Writes one file and commits it; returns the sha.
  std::string commit(const std::string& file, const std::string& content, const std::string& message);
  /// Runs git here.
  std::string git(const std::vector<std::string>& args) const { return run_git(path_, args); }
  /// The folder.
  const std::filesystem::path& path() const { return path_; }
  /// Where it is, usable as a URL.
  std::string url() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace turnout::test
