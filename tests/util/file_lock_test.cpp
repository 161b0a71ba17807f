#include "util/file_lock.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"

using namespace turnout::util;
using turnout::test::TempDir;

TEST_CASE("a file lock has one holder at a time, try_acquire does not wait for it", "[unit][util]") {
  TempDir dir;
  const auto path = (dir / "app.lock").string();
  auto first = FileLock::acquire(path);
  REQUIRE(first);
  CHECK(first.value().held());
  CHECK(first.value().path() == path);
  // flock(2) conflicts between open file descriptions, so a second one in this process is refused.
  auto second = FileLock::try_acquire(path);
  REQUIRE(second);
  CHECK_FALSE(second.value().held());

  first = FileLock();  // released when its holder goes
  auto third = FileLock::try_acquire(path);
  REQUIRE(third);
  CHECK(third.value().held());
}

TEST_CASE("a lock file is made with the permissions asked for and left in place", "[unit][util]") {
  TempDir dir;
  const auto path = (dir / "deploy.lock").string();
  {
    auto lock = FileLock::acquire(path, 0600);
    REQUIRE(lock);
  }
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
}

TEST_CASE("a lock file that cannot be opened is an error naming it and why", "[unit][util]") {
  TempDir dir;
  std::filesystem::create_directories(dir / "taken.lock");  // a folder where the file should be
  for (const auto& [path, why] :
       {std::pair{(dir / "taken.lock").string(), "Is a directory"},
        std::pair{(dir / "missing" / "x.lock").string(), "No such file or directory"}}) {
    for (const bool wait : {true, false}) {
      const auto lock = wait ? FileLock::acquire(path) : FileLock::try_acquire(path);
      REQUIRE_FALSE(lock);
      CHECK(lock.error().message == "cannot open the lock file '" + path + "': " + why);
    }
  }
}
