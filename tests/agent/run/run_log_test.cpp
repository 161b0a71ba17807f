// Reading a run's log in pieces, from real files: what is read, and what is refused.
#include "agent/run/run_log.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
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

// Makes a folder unwritable for as long as it lives: read-only, and immutable too when this runs
// as root (which writes through any mode). Whether it worked: a file system without the flag
// cannot make a folder unwritable for root.
class UnwritableFolder {
 public:
  explicit UnwritableFolder(const fs::path& path) : path_(path) {
    ::chmod(path.c_str(), 0555);
    if (::geteuid() != 0) return;
    set_immutable(true);
  }
  ~UnwritableFolder() {
    if (::geteuid() == 0) set_immutable(false);
    ::chmod(path_.c_str(), 0755);
  }
  UnwritableFolder(const UnwritableFolder&) = delete;
  UnwritableFolder& operator=(const UnwritableFolder&) = delete;
  bool holds() const { return ::geteuid() != 0 || immutable_; }

 private:
  void set_immutable(bool on) {
    const int fd = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    int flags = 0;
    if (::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
      flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
      immutable_ = ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0 && on;
    }
    ::close(fd);
  }
  fs::path path_;
  bool immutable_ = false;
};

}  // namespace

TEST_CASE("run log: a runs folder that cannot be written says why, not 'No such file or directory'",
          "[unit][run_log]") {
  turnout::test::TempDir dir;
  fs::create_directories(dir.path() / "runs");
  UnwritableFolder unwritable(dir.path() / "runs");
  if (!unwritable.holds()) {
    WARN("cannot make a folder unwritable for root here: skipped");
    return;
  }
  const auto created = turnout::agent::RunLog::create((dir.path() / "runs" / "9" / "log").string());
  REQUIRE(!created);
  CHECK_THAT(created.error().message, !Catch::Contains("No such file or directory"));
  CHECK_THAT(created.error().message, Catch::Contains(std::strerror(::geteuid() == 0 ? EPERM : EACCES)));
  CHECK_THAT(created.error().message, Catch::Contains((dir.path() / "runs" / "9").string()));
}

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
