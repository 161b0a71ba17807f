#include "steps/deploy/release_dir.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using turnout::steps::deploy::make_release;
using turnout::steps::deploy::prune_releases;
using turnout::test::read_file;
using turnout::test::TempDir;

namespace {

struct stat stat_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  return info;
}

// A workspace as a checkout leaves it: sources, a script, links, an empty folder and a .git.
fs::path make_workspace(const TempDir& dir) {
  const auto workspace = dir / "workspace";
  dir.write("workspace/server.js", "listen(process.env.PORT)\n");
  const auto script = dir.write("workspace/bin/start.sh", "#!/bin/sh\nexec node server.js\n");
  ::chmod(script.c_str(), 0755);
  const auto secret = dir.write("workspace/config/local.env", "MODE=prod\n");
  ::chmod(secret.c_str(), 0600);
  ::chmod((workspace / "config").c_str(), 0750);
  dir.write("workspace/.git/HEAD", "ref: refs/heads/master\n");
  dir.write("workspace/docs/.gitkeep", "");
  fs::create_directories(workspace / "empty");
  fs::create_symlink("server.js", workspace / "main.js");
  fs::create_symlink("../config", workspace / "bin/config");
  fs::create_symlink("missing-target", workspace / "dangling");
  return workspace;
}

std::vector<std::string> names_in(const fs::path& folder) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) names.insert(entry.path().filename().string());
  return {names.begin(), names.end()};
}

// Sets TMPDIR for as long as it lives, so that a TempDir lands on another file system.
class TmpdirOverride {
 public:
  explicit TmpdirOverride(const char* value) {
    if (const char* old = std::getenv("TMPDIR")) old_ = old;
    ::setenv("TMPDIR", value, 1);
  }
  ~TmpdirOverride() {
    if (old_) {
      ::setenv("TMPDIR", old_->c_str(), 1);
    } else {
      ::unsetenv("TMPDIR");
    }
  }
  TmpdirOverride(const TmpdirOverride&) = delete;
  TmpdirOverride& operator=(const TmpdirOverride&) = delete;

 private:
  std::optional<std::string> old_;
};

// A release folder named `name` whose time is `age` ago.
fs::path old_release(const TempDir& dir, const std::string& name, std::chrono::hours age) {
  const auto path = dir / ("releases/" + name);
  fs::create_directories(path);
  fs::last_write_time(path, fs::file_time_type::clock::now() - age);
  return path;
}

}  // namespace

TEST_CASE("release: copies the workspace's files without .git, keeping links and modes", "[unit][deploy]") {
  const TempDir dir;
  const auto workspace = make_workspace(dir);
  const auto made = make_release(workspace.string(), (dir / "releases").string(), "4f2a9c1-17");
  if (!made) FAIL(made.error().message);
  const fs::path release = made.value();
  CHECK(release == dir / "releases/4f2a9c1-17");
  CHECK(release.is_absolute());
  CHECK(names_in(dir / "releases") == std::vector<std::string>{"4f2a9c1-17"});  // no temp left
  CHECK(names_in(release) ==
        std::vector<std::string>{"bin", "config", "dangling", "docs", "empty", "main.js", "server.js"});

  for (const char* file : {"server.js", "bin/start.sh", "config/local.env", "docs/.gitkeep"}) {
    INFO(file);
    CHECK(stat_of(release / file).st_ino != stat_of(workspace / file).st_ino);
    CHECK(read_file(release / file) == read_file(workspace / file));
    CHECK(stat_of(release / file).st_mtim.tv_sec == stat_of(workspace / file).st_mtim.tv_sec);
  }
  CHECK(read_file(release / "server.js") == "listen(process.env.PORT)\n");
  CHECK((stat_of(release / "bin/start.sh").st_mode & 07777) == 0755);
  CHECK((stat_of(release / "config").st_mode & 07777) == 0750);
  CHECK(fs::is_directory(release / "empty"));

  CHECK(fs::is_symlink(release / "main.js"));
  CHECK(fs::read_symlink(release / "main.js") == "server.js");
  CHECK(fs::read_symlink(release / "bin/config") == "../config");
  CHECK(fs::read_symlink(release / "dangling") == "missing-target");
  CHECK(read_file(release / "bin/config/local.env") == "MODE=prod\n");
}

TEST_CASE("release: writing the workspace in place afterwards leaves the release as it was",
          "[unit][deploy]") {
  // What the next checkout (libgit2 truncates changed files) and the next build do.
  const TempDir dir;
  const auto workspace = make_workspace(dir);
  const auto made = make_release(workspace.string(), (dir / "releases").string(), "4f2a9c1-18");
  if (!made) FAIL(made.error().message);
  const fs::path release = made.value();
  {
    std::ofstream rewrite(workspace / "server.js", std::ios::trunc);
    rewrite << "the next version\n";
  }
  CHECK(read_file(workspace / "server.js") == "the next version\n");
  CHECK(read_file(release / "server.js") == "listen(process.env.PORT)\n");
  CHECK((stat_of(release / "config/local.env").st_mode & 07777) == 0600);
  CHECK_FALSE(fs::exists(release / ".git"));
}

TEST_CASE("release: an existing name fails and is left as it was", "[unit][deploy]") {
  const TempDir dir;
  const auto workspace = make_workspace(dir);
  dir.write("releases/4f2a9c1-17/live.txt", "serving\n");
  const auto made = make_release(workspace.string(), (dir / "releases").string(), "4f2a9c1-17");
  REQUIRE_FALSE(made.ok());
  CHECK(made.error().message ==
        "cannot make the release: " + (dir / "releases/4f2a9c1-17").string() + " exists");
  CHECK(names_in(dir / "releases/4f2a9c1-17") == std::vector<std::string>{"live.txt"});
  CHECK(read_file(dir / "releases/4f2a9c1-17/live.txt") == "serving\n");
  CHECK(names_in(dir / "releases") == std::vector<std::string>{"4f2a9c1-17"});
}

TEST_CASE("release: a missing workspace or a bad name fails, leaving nothing behind", "[unit][deploy]") {
  const TempDir dir;
  const auto missing = make_release((dir / "nowhere").string(), (dir / "releases").string(), "abc-1");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message ==
        "cannot make the release: workspace " + (dir / "nowhere").string() + ": No such file or directory");
  CHECK_FALSE(fs::exists(dir / "releases/abc-1"));

  const auto workspace = make_workspace(dir);
  for (const char* name : {"", ".", "..", "a/b", ".hidden"}) {
    INFO(name);
    const auto bad = make_release(workspace.string(), (dir / "releases").string(), name);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().kind == turnout::util::ErrorKind::invalid);
  }
  CHECK_FALSE(fs::exists(dir / "releases"));

  const auto inside = make_release(workspace.string(), (workspace / "releases").string(), "abc-1");
  REQUIRE_FALSE(inside.ok());
  CHECK(inside.error().message.find("is inside the workspace") != std::string::npos);
}

TEST_CASE("release: prune keeps the newest and the protected releases", "[unit][deploy]") {
  const TempDir dir;
  const auto r1 = old_release(dir, "a1-1", 60h);  // the previous slot's, long ago
  const auto r2 = old_release(dir, "a2-2", 50h);
  const auto r3 = old_release(dir, "a3-3", 40h);
  const auto r4 = old_release(dir, "a4-4", 30h);  // the live slot's, protected through another path
  const auto r5 = old_release(dir, "a5-5", 20h);
  const auto r6 = old_release(dir, "a6-6", 10h);
  dir.write("releases/.a7-7.partial-Xy12Ab/server.js", "a copy in progress\n");
  dir.write("releases/notes.txt", "not a release\n");

  const std::set<std::string> protect{r1.string(), (dir / "releases/../releases/a4-4/").string()};
  const auto removed = prune_releases((dir / "releases").string(), 2, protect);
  CHECK(removed == std::vector<std::string>{r3.string(), r2.string()});  // oldest last
  CHECK(names_in(dir / "releases") ==
        std::vector<std::string>{".a7-7.partial-Xy12Ab", "a1-1", "a4-4", "a5-5", "a6-6", "notes.txt"});

  CHECK(prune_releases((dir / "releases").string(), 0, protect) ==
        std::vector<std::string>{r6.string(), r5.string()});
  CHECK(prune_releases((dir / "releases").string(), 0, protect).empty());
  CHECK(fs::exists(r1));
  CHECK(fs::exists(r4));
  CHECK(prune_releases((dir / "nowhere").string(), 0, {}).empty());
}

TEST_CASE("release: prune counts made releases by when they were made", "[unit][deploy]") {
  const TempDir dir;
  const auto workspace = make_workspace(dir);
  const auto releases = (dir / "releases").string();
  old_release(dir, "old-1", 1h);
  // A checkout's folders may be older than any release: the release's own time is when it was made.
  fs::last_write_time(workspace, fs::file_time_type::clock::now() - 100h);
  const auto made = make_release(workspace.string(), releases, "new-2");
  if (!made) FAIL(made.error().message);
  CHECK(prune_releases(releases, 1, {}) == std::vector<std::string>{(dir / "releases/old-1").string()});
  CHECK(names_in(dir / "releases") == std::vector<std::string>{"new-2"});
}
