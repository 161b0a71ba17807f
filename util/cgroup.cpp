#include "util/cgroup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <sstream>
#include <thread>

#include "util/read_file.h"
#include "util/strings.h"

namespace turnout::util {

namespace {

std::string system_reason(int error) { return std::strerror(error); }

// The mount point of the cgroup2 file system: field 5 of a mountinfo line whose file system
// type (the first field after " - ") is cgroup2. Mount points escape spaces as \040.
std::string cgroup2_mount(const std::string& mountinfo) {
  std::istringstream lines(mountinfo);
  std::string line;
  while (std::getline(lines, line)) {
    const auto separator = line.find(" - ");
    if (separator == std::string::npos || line.compare(separator + 3, 8, "cgroup2 ") != 0) continue;
    std::istringstream fields(line.substr(0, separator));
    std::string field;
    for (int index = 1; index <= 5 && fields >> field; ++index) {
      if (index == 5) return field;
    }
  }
  return "";
}

// The path of the `0::/PATH` line (the unified hierarchy); nullopt when there is none.
std::optional<std::string> unified_path(const std::string& membership) {
  std::istringstream lines(membership);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  }
  return std::nullopt;
}

Result<std::string> read_text(const std::string& path) {
  auto read = read_whole_file(path);
  if (!read) return fail("cannot read " + path + ": " + read.error().message);
  return read;
}

// The controllers of `wanted` that the space-separated list `offered` lacks.
std::vector<std::string> missing_from(const std::string& offered, const std::vector<std::string>& wanted) {
  std::istringstream words(offered);
  std::vector<std::string> have;
  for (std::string word; words >> word;) have.push_back(word);
  std::vector<std::string> missing;
  for (const auto& name : wanted) {
    if (std::find(have.begin(), have.end(), name) == have.end()) missing.push_back(name);
  }
  return missing;
}

}  // namespace

Result<std::string> find_delegated_cgroup(const std::vector<std::string>& controllers,
                                          const CgroupSources& sources) {
  const auto membership = read_text(sources.membership);
  if (!membership) return membership.error();
  const auto path = unified_path(membership.value());
  if (!path)
    return fail("this process is in no cgroup v2 group (" + sources.membership + " has no 0:: line)");
  const auto mountinfo = read_text(sources.mountinfo);
  if (!mountinfo) return mountinfo.error();
  const std::string mount = cgroup2_mount(mountinfo.value());
  if (mount.empty()) return fail("no cgroup2 file system is mounted");
  const std::string dir = *path == "/" ? mount : mount + *path;
  const auto offered = read_text(dir + "/cgroup.controllers");
  if (!offered) return offered.error();
  const auto missing = missing_from(offered.value(), controllers);
  if (!missing.empty())
    return fail("the cgroup v2 group " + dir + " offers no " + join(missing, ", ") + " controller" +
                (missing.size() > 1 ? "s" : ""));
  for (const std::string file : {"", "/cgroup.procs", "/cgroup.subtree_control"}) {
    if (::access((dir + file).c_str(), W_OK) != 0)
      return fail("the cgroup v2 group " + dir + " is not delegated to turnout (" + dir + file + ": " +
                  system_reason(errno) + ")");
  }
  return dir;
}

Status make_cgroup(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return fail("cannot create the cgroup " + dir + ": " + system_reason(errno));
  return Ok{};
}

Status write_cgroup_file(const std::string& dir, const std::string& name, const std::string& value) {
  const std::string path = dir + "/" + name;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail("cannot open " + path + ": " + system_reason(errno));
  // One write: the kernel takes an interface file's value from a single write call.
  const ssize_t written = ::write(fd, value.data(), value.size());
  const int error = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(value.size()))
    return fail("cannot write '" + value + "' to " + path + ": " + system_reason(written < 0 ? error : EIO));
  return Ok{};
}

std::uint64_t read_cgroup_count(const std::string& dir, const std::string& name, const std::string& key) {
  const auto read = read_whole_file(dir + "/" + name);
  if (!read) return 0;
  std::istringstream lines(read.value());
  std::string word;
  std::uint64_t count = 0;
  while (lines >> word >> count) {
    if (word == key) return count;
  }
  return 0;
}

Status delegate_to_children(const std::string& dir, const std::string& leaf,
                            const std::vector<std::string>& controllers) {
  const std::string leaf_dir = dir + "/" + leaf;
  if (auto made = make_cgroup(leaf_dir); !made) return made;
  // "0" names the writing process.
  if (auto moved = write_cgroup_file(leaf_dir, "cgroup.procs", "0"); !moved) return moved;
  std::string enable;
  for (const auto& name : controllers) enable += (enable.empty() ? "+" : " +") + name;
  return write_cgroup_file(dir, "cgroup.subtree_control", enable);
}

Status remove_cgroup(const std::string& dir, Duration wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (::rmdir(dir.c_str()) != 0) {
    const int error = errno;
    if (error == ENOENT) return Ok{};
    if (error != EBUSY || std::chrono::steady_clock::now() >= deadline)
      return fail("cannot remove the cgroup " + dir + ": " + system_reason(error));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Ok{};
}

}  // namespace turnout::util
