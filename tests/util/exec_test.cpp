#include "util/exec.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "tests/support/temp_dir.h"

using namespace turnout::util;
using turnout::test::TempDir;

namespace {

// A file `name` in `dir` with permissions `mode`.
void program(const TempDir& dir, const std::string& name, mode_t mode) {
  const auto path = dir.write(name, "#!/bin/sh\n");
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

}  // namespace

TEST_CASE("a program is looked up in the child's PATH, in order, not in ours", "[unit][util]") {
  TempDir dir;
  program(dir, "first/tool", 0755);
  program(dir, "second/tool", 0755);
  const std::string path =
      "PATH=" + (dir / "nothing").string() + ":" + (dir / "first").string() + ":" + (dir / "second").string();
  const auto found = find_program("tool", {"HOME=/", path}, "");
  REQUIRE(found);
  CHECK(found.value() == (dir / "first" / "tool").string());
  CHECK(path_variable({"HOME=/", path}) == path.substr(5));
}

TEST_CASE("without PATH a child gets a login shell's, a name with a slash is taken as it is",
          "[unit][util]") {
  CHECK(path_variable({"HOME=/"}) == "/usr/local/bin:/usr/bin:/bin");
  const auto sh = find_program("sh", {}, "");
  REQUIRE(sh);
  CHECK((sh.value() == "/usr/bin/sh" || sh.value() == "/bin/sh"));
  const auto given = find_program("./not/looked/up", {"PATH=/nowhere"}, "");
  REQUIRE(given);
  CHECK(given.value() == "./not/looked/up");
}

TEST_CASE("a relative PATH entry is looked up from the child's directory", "[unit][util]") {
  TempDir dir;
  program(dir, "bin/tool", 0755);
  const auto found = find_program("tool", {"PATH=bin"}, dir.path().string());
  REQUIRE(found);
  CHECK(found.value() == "bin/tool");  // exec runs after the chdir
  const auto here = find_program("tool", {"PATH=:/nowhere"}, (dir / "bin").string());
  REQUIRE(here);
  CHECK(here.value() == "./tool");
  CHECK_FALSE(find_program("tool", {"PATH=bin"}, ""));
}

TEST_CASE("a program that is missing or not executable fails as exec would say", "[unit][util]") {
  TempDir dir;
  program(dir, "bin/data", 0644);
  const std::vector<std::string> env = {"PATH=" + (dir / "bin").string()};
  const auto missing = find_program("nope", env, "");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == std::strerror(ENOENT));
  // root may read anything, but access(X_OK) still wants an execute bit.
  const auto not_executable = find_program("data", env, "");
  REQUIRE_FALSE(not_executable);
  CHECK(not_executable.error().message == std::strerror(EACCES));
}

TEST_CASE("c_strings points at each string and ends with nullptr", "[unit][util]") {
  const std::vector<std::string> argv = {"bash", "-c", "echo hi"};
  const auto pointers = c_strings(argv);
  REQUIRE(pointers.size() == 4);
  for (std::size_t i = 0; i < argv.size(); ++i) CHECK(pointers[i] == argv[i].c_str());
  CHECK(pointers[3] == nullptr);
}
