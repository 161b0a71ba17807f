#include "util/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace turnout::util {

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the only descriptor releases the flock
}

FileLock::FileLock(FileLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

Result<FileLock> FileLock::acquire(const std::string& path, int mode) { return lock(path, mode, true); }

Result<FileLock> FileLock::try_acquire(const std::string& path, int mode) { return lock(path, mode, false); }

Result<FileLock> FileLock::lock(const std::string& path, int mode, bool wait) {
  FileLock held;
  held.fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, static_cast<mode_t>(mode));
  if (held.fd_ < 0)
    return fail("cannot open the lock file '" + path + "': " + std::generic_category().message(errno));
  int result = 0;
  while ((result = ::flock(held.fd_, LOCK_EX | (wait ? 0 : LOCK_NB))) != 0 && errno == EINTR) {
  }
  if (result != 0) {
    if (!wait && errno == EWOULDBLOCK) return FileLock();
    return fail("cannot lock '" + path + "': " + std::generic_category().message(errno));
  }
  held.path_ = path;
  return held;
}

}  // namespace turnout::util
