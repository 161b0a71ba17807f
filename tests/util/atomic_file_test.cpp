#include "util/atomic_file.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/support/temp_dir.h"

using turnout::test::read_file;
using turnout::test::TempDir;

TEST_CASE("atomic file: replaces the content with the given mode, leaving no temp file", "[unit][util]") {
  TempDir dir;
  const auto path = dir.write("state.json", "old");
  REQUIRE(turnout::util::write_file_atomically(path.string(), "new content", 0600));
  CHECK(read_file(path) == "new content");
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++entries;
  CHECK(entries == 1);
}

TEST_CASE("atomic file: a folder that does not exist fails, naming the path", "[unit][util]") {
  TempDir dir;
  const auto path = (dir / "missing" / "state.json").string();
  const auto written = turnout::util::write_file_atomically(path, "x");
  REQUIRE_FALSE(written);
  CHECK_THAT(written.error().message, Catch::Contains(path));
  CHECK_FALSE(std::filesystem::exists(dir / "missing"));
}
