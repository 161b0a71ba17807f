#include "steps/deploy/release_dir.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace turnout::steps::deploy {

namespace fs = std::filesystem;

namespace {

std::string error_text(int error) { return std::strerror(error); }

util::Error copy_error(const fs::path& path, const std::string& reason) {
  return util::fail("cannot make the release: " + path.string() + ": " + reason);
}

// A release must not share its files' inodes with the workspace: the next checkout (libgit2
// opens changed files with O_TRUNC) and the next build (`cp`, compilers, bundlers writing in
// place) rewrite workspace files in place, which would change the live release under the running
// slot and make a rollback start the new code. So each file is cloned where the file system can
// share blocks copy-on-write (FICLONE: btrfs, XFS), and copied where it cannot.
util::Status clone_or_copy(const fs::path& from, const fs::path& to, const struct stat& info) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return copy_error(from, error_text(errno));
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) {
    const int error = errno;
    ::close(in);
    return copy_error(to, error_text(error));
  }
  bool copied = ::ioctl(out, FICLONE, in) == 0;
  for (off_t left = info.st_size; !copied;) {
    const ssize_t sent = ::copy_file_range(in, nullptr, out, nullptr, static_cast<size_t>(left), 0);
    if (sent < 0) break;
    left -= sent;
    copied = left <= 0 || sent == 0;
  }
  const int error = copied ? 0 : errno;
  ::close(in);
  if (::close(out) != 0 && copied) return copy_error(to, error_text(errno));
  if (!copied) return copy_error(from, error_text(error));
  // The copy gets the original's mode and times, so a release looks like its workspace.
  if (::chmod(to.c_str(), info.st_mode & 07777) != 0) return copy_error(to, error_text(errno));
  const struct timespec times[2] = {info.st_atim, info.st_mtim};
  if (::utimensat(AT_FDCWD, to.c_str(), times, 0) != 0) return copy_error(to, error_text(errno));
  return util::Ok{};
}

util::Status recreate_symlink(const fs::path& from, const fs::path& to) {
  std::error_code error;
  const fs::path target = fs::read_symlink(from, error);  // as written: relative stays relative
  if (!error) fs::create_symlink(target, to, error);
  if (error) return copy_error(from, error.message());
  return util::Ok{};
}

util::Status copy_tree(const fs::path& from, const fs::path& to, bool top);

util::Status copy_entry(const fs::path& from, const fs::path& to) {
  struct stat info {};
  if (::lstat(from.c_str(), &info) != 0) return copy_error(from, error_text(errno));
  if (S_ISLNK(info.st_mode)) return recreate_symlink(from, to);
  if (S_ISREG(info.st_mode)) return clone_or_copy(from, to, info);
  if (!S_ISDIR(info.st_mode)) return util::Ok{};  // sockets, fifos, devices: nothing to deploy
  if (::mkdir(to.c_str(), 0700) != 0) return copy_error(to, error_text(errno));
  if (auto status = copy_tree(from, to, false); !status) return status;
  // Last, so that a read-only folder could still be filled.
  if (::chmod(to.c_str(), info.st_mode & 07777) != 0) return copy_error(to, error_text(errno));
  return util::Ok{};
}

util::Status copy_tree(const fs::path& from, const fs::path& to, bool top) {
  std::error_code error;
  for (fs::directory_iterator it(from, error), end; !error && it != end; it.increment(error)) {
    const fs::path name = it->path().filename();
    if (top && name == ".git") continue;
    if (auto status = copy_entry(it->path(), to / name); !status) return status;
  }
  if (error) return copy_error(from, error.message());
  return util::Ok{};
}

// remove_all, and once more after making every folder writable: an unprivileged agent cannot
// empty a read-only folder (a Go module cache keeps its files so). Returns true when it is gone.
bool remove_tree(const fs::path& path) {
  std::error_code error;
  fs::remove_all(path, error);
  if (!error) return true;
  ::chmod(path.c_str(), 0700);
  for (fs::recursive_directory_iterator it(path, error), end; !error && it != end; it.increment(error)) {
    if (it->is_directory(error) && !it->is_symlink(error)) ::chmod(it->path().c_str(), 0700);
  }
  error.clear();
  fs::remove_all(path, error);
  return !error;
}

// Release names are one path component; names starting with '.' are reserved for copies in
// progress, which prune_releases never touches.
bool valid_name(const std::string& name) {
  return !name.empty() && name.front() != '.' && name.find('/') == std::string::npos;
}

// Renames without ever replacing what is there (rename(2) would replace an empty folder).
int rename_new(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return errno;
  // The file system cannot promise it: check, then rename (a race only with another deploy of
  // the same app, which the agent does not run).
  struct stat info {};
  if (::lstat(to.c_str(), &info) == 0) return EEXIST;
  return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
}

// How a path is compared with `protect`: absolute, symlinks resolved, no trailing '/'.
std::string comparable(const fs::path& path) {
  std::error_code error;
  fs::path full = fs::weakly_canonical(fs::absolute(path, error), error);
  if (error) full = fs::absolute(path, error).lexically_normal();
  if (!full.has_filename() && full.has_parent_path()) full = full.parent_path();
  return full.string();
}

struct Release {
  fs::path path;
  fs::file_time_type modified;
};

std::vector<Release> list_releases(const fs::path& folder) {
  std::vector<Release> releases;
  std::error_code error;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    std::error_code entry_error;
    if (it->path().filename().string().starts_with('.')) continue;
    if (!it->is_directory(entry_error) || it->is_symlink(entry_error)) continue;
    const auto modified = fs::last_write_time(it->path(), entry_error);
    if (!entry_error) releases.push_back({it->path(), modified});
  }
  // Newest first; the name decides between equal times, so the order never depends on readdir.
  std::sort(releases.begin(), releases.end(), [](const Release& a, const Release& b) {
    return a.modified != b.modified ? a.modified > b.modified : a.path > b.path;
  });
  return releases;
}

}  // namespace

util::Result<std::string> make_release(const std::string& workspace, const std::string& releases_dir,
                                       const std::string& name) {
  if (!valid_name(name)) {
    return util::fail(
        "cannot make the release '" + name + "': a release name is one path component not starting with '.'",
        util::ErrorKind::invalid);
  }
  std::error_code error;
  const fs::path target = (fs::absolute(releases_dir, error) / name).lexically_normal();
  struct stat info {};
  if (::lstat(target.c_str(), &info) == 0)
    return util::fail("cannot make the release: " + target.string() + " exists");
  if (::stat(workspace.c_str(), &info) != 0) {
    return util::fail("cannot make the release: workspace " + workspace + ": " + error_text(errno),
                      util::ErrorKind::not_found);
  }
  if (!S_ISDIR(info.st_mode))
    return util::fail("cannot make the release: workspace " + workspace + " is not a directory");
  // A copy into a folder inside what it copies would never end.
  const std::string source = comparable(workspace);
  if (const std::string into = comparable(target.parent_path());
      into == source || into.starts_with(source + "/")) {
    return util::fail("cannot make the release: " + target.parent_path().string() +
                      " is inside the workspace " + workspace);
  }
  fs::create_directories(target.parent_path(), error);
  if (error) return copy_error(target.parent_path(), error.message());
  std::string temp = (target.parent_path() / ("." + name + ".partial-XXXXXX")).string();
  if (::mkdtemp(temp.data()) == nullptr) return copy_error(temp, error_text(errno));
  auto status = copy_tree(workspace, temp, true);
  if (status && ::chmod(temp.c_str(), info.st_mode & 07777) != 0)
    status = copy_error(temp, error_text(errno));
  // Its time is when it was made: prune_releases goes by it.
  if (status && ::utimensat(AT_FDCWD, temp.c_str(), nullptr, 0) != 0)
    status = copy_error(temp, error_text(errno));
  if (status) {
    if (const int failed = rename_new(temp, target)) {
      status = failed == EEXIST || failed == ENOTEMPTY ? copy_error(target, "exists")
                                                       : copy_error(target, error_text(failed));
    }
  }
  if (!status) {
    remove_tree(temp);
    return status.error();
  }
  return target.string();
}

std::vector<std::string> prune_releases(const std::string& releases_dir, int keep,
                                        const std::set<std::string>& protect) {
  std::set<std::string> kept;
  for (const auto& path : protect) kept.insert(comparable(path));
  std::error_code error;
  const fs::path folder = fs::absolute(releases_dir, error).lexically_normal();
  const auto releases = list_releases(folder);
  std::vector<std::string> removed;
  for (std::size_t i = static_cast<std::size_t>(std::max(keep, 0)); i < releases.size(); ++i) {
    if (kept.contains(comparable(releases[i].path))) continue;
    // One that cannot be removed stays a release and is tried again at the next prune.
    if (remove_tree(releases[i].path)) removed.push_back(releases[i].path.string());
  }
  return removed;
}

}  // namespace turnout::steps::deploy
