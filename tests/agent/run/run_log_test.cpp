// Reading a run's log in pieces, from real files: what is read, and what is refused.
#include "agent/run/run_log.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/support/temp_dir.h"

using turnout::agent::RunLogReader;
using turnout::util::ErrorKind;

namespace {

namespace fs = std::filesystem;

// Lines enough for several pieces, each line telling where it is.
std::string numbered_lines(int count) {
  std::string text;
  for (int i = 0; i < count; ++i) text += "2026-12-02T08:00:00.000Z out line " + std::to_string(i) + "\n";
  return text;
}

}  // namespace

TEST_CASE("run log reader: pieces from any offset add up to the file", "[unit][run_log]") {
  turnout::test::TempDir dir;
  const auto text = numbered_lines(5000);
  dir.write("runs/7/log", text);
  auto opened = RunLogReader::open(dir.path().string(), 7);
  REQUIRE(opened);
  const RunLogReader& log = *opened.value();
  CHECK(log.size() == static_cast<std::int64_t>(text.size()));

  std::string whole;
  std::string piece;
  for (std::int64_t at = 0; at < log.size(); at += static_cast<std::int64_t>(piece.size())) {
    REQUIRE(log.read(at, 4096, piece));
    REQUIRE(!piece.empty());
    CHECK(piece.size() <= 4096);
    whole += piece;
  }
  CHECK(whole == text);
  REQUIRE(log.read(100, 10, piece));
  CHECK(piece == text.substr(100, 10));
  REQUIRE(log.read(log.size() - 3, 10, piece));
  CHECK(piece == text.substr(text.size() - 3));
  REQUIRE(log.read(log.size() + 5, 10, piece));
  CHECK(piece.empty());
}

TEST_CASE("run log reader: a run without a log is not found", "[unit][run_log]") {
  turnout::test::TempDir dir;
  const auto none = RunLogReader::open(dir.path().string(), 3);
  REQUIRE_FALSE(none);
  CHECK(none.error().kind == ErrorKind::not_found);
  CHECK(none.error().message == "run 3 has no log yet");
  fs::create_directories(dir / "runs" / "3");
  CHECK(RunLogReader::open(dir.path().string(), 3).error().kind == ErrorKind::not_found);
}

TEST_CASE("run log reader: a log or run folder that is a link, or not a file, is refused",
          "[unit][run_log]") {
  turnout::test::TempDir dir;
  const auto secret = dir.write("secret.txt", "the agent's secret");
  const auto data = dir.path().string();
  fs::create_directories(dir / "runs" / "1");
  fs::create_symlink(secret, dir / "runs" / "1" / "log");
  dir.write("elsewhere/log", "a log outside the data folder");
  fs::create_symlink(dir / "elsewhere", dir / "runs" / "2");
  fs::create_directories(dir / "runs" / "3" / "log");
  fs::create_directories(dir / "runs" / "4");
  REQUIRE(::mkfifo((dir / "runs" / "4" / "log").c_str(), 0600) == 0);

  for (const int id : {1, 2, 3, 4}) {
    INFO("run " << id);
    const auto refused = RunLogReader::open(data, id);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == ErrorKind::denied);
    CHECK_THAT(refused.error().message, Catch::Contains("is not a regular file in its run's folder"));
    CHECK_THAT(refused.error().message, !Catch::Contains("secret"));
  }
}

TEST_CASE("run log reader: the data folder's runs may be a link the operator made", "[unit][run_log]") {
  turnout::test::TempDir dir;
  dir.write("disk/runs/5/log", "line\n");
  fs::create_directories(dir / "data");
  fs::create_symlink(dir / "disk" / "runs", dir / "data" / "runs");
  const auto opened = RunLogReader::open((dir / "data").string(), 5);
  REQUIRE(opened);
  CHECK(opened.value()->size() == 5);
}
