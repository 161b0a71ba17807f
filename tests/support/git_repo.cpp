#include "tests/support/git_repo.h"

#include <fstream>
#include <stdexcept>

#include "tests/support/command.h"

namespace turnout::test {

std::string run_git(const std::filesystem::path& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"git",
                                "-c",
                                "user.name=turnout-test",
                                "-c",
                                "user.email=test@turnout.invalid",
                                "-c",
                                "init.defaultBranch=main",
                                "-c",
                                "commit.gpgsign=false"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto result = run_command(argv, dir.string());
  if (result.exit_code != 0)
    throw std::runtime_error("git " + args.front() + " in " + dir.string() + ": " + result.err);
  std::string out = result.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

GitRepo::GitRepo(std::filesystem::path path) : path_(std::move(path)) {
  std::filesystem::create_directories(path_);
  git({"init", "-q"});
}

std::string GitRepo::commit(const std::map<std::string, std::optional<std::string>>& files,
                            const std::string& message) {
  for (const auto& [name, content] : files) {
    if (!content) {
      std::filesystem::remove(path_ / name);
      continue;
    }
    std::filesystem::create_directories((path_ / name).parent_path());
    std::ofstream(path_ / name, std::ios::binary) << *content;
  }
  git({"add", "-A"});
  git({"commit", "-q", "--allow-empty", "-m", message});
  return git({"rev-parse", "HEAD"});
}

std::string GitRepo::commit(const std::string& file, const std::string& content, const std::string& message) {
  return commit({{file, content}}, message);
}

}  // namespace turnout::test
