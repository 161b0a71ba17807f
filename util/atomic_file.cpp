#include "util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace turnout::util {

namespace {

Status failure(const std::string& what, const std::string& path) {
  return fail("cannot " + what + " " + path + ": " + std::strerror(errno));
}

bool write_all(int fd, const std::string& content) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// The rename is durable only once the folder's entry is on disk.
void sync_folder(const std::filesystem::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

Status write_file_atomically(const std::string& path, const std::string& content, mode_t mode) {
  const std::filesystem::path target(path);
  const auto folder = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::string temp = (folder / ("." + target.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return failure("create a temp file beside", path);
  const bool written = ::fchmod(fd, mode) == 0 && write_all(fd, content) && ::fsync(fd) == 0;
  const int write_error = errno;
  ::close(fd);
  if (!written) errno = write_error;
  if (!written || ::rename(temp.c_str(), path.c_str()) != 0) {
    const auto error = failure("write", path);
    ::unlink(temp.c_str());
    return error;
  }
  sync_folder(folder);
  return Ok{};
}

}  // namespace turnout::util
