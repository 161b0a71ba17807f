#include "agent/store/wal_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace turnout::agent::detail {

namespace {

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

WalFile::WalFile(std::string database_path) : path_(std::move(database_path) + "-wal") {}

WalFile::~WalFile() {
  if (fd_ >= 0) ::close(fd_);
}

util::Status WalFile::open_current() {
  struct stat at_path {};
  if (::stat(path_.c_str(), &at_path) != 0)
    return util::fail("cannot sync " + path_ + ": " + std::strerror(errno));
  struct stat open {};
  if (fd_ >= 0 && ::fstat(fd_, &open) == 0 && same_file(open, at_path)) return util::Ok{};
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return util::fail("cannot open " + path_ + " to sync it: " + std::strerror(errno));
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  return util::Ok{};
}

util::Status WalFile::sync() {
  if (auto opened = open_current(); !opened) return opened;
  if (::fdatasync(fd_) != 0) return util::fail("cannot sync " + path_ + ": " + std::strerror(errno));
  return util::Ok{};
}

}  // namespace turnout::agent::detail
