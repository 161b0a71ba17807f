#include "util/port_owner.h"

#include <dirent.h>
#include <unistd.h>

#include <climits>
#include <fstream>
#include <set>

#include "util/socket_table.h"

namespace turnout::util {

namespace {

// Whether one of `pid`'s descriptors is one of `sockets` ("socket:[INODE]").
bool holds_one_of(const std::string& pid, const std::set<std::string>& sockets) {
  const std::string folder = "/proc/" + pid + "/fd";
  DIR* fds = ::opendir(folder.c_str());
  if (fds == nullptr) return false;
  bool found = false;
  while (const dirent* entry = ::readdir(fds)) {
    char target[PATH_MAX];
    const auto path = folder + "/" + entry->d_name;
    const ssize_t size = ::readlink(path.c_str(), target, sizeof target - 1);
    if (size <= 0) continue;
    const std::string link(target, static_cast<std::size_t>(size));
    if (link.rfind("socket:[", 0) == 0 && sockets.count(link.substr(8, link.size() - 9)) > 0) {
      found = true;
      break;
    }
  }
  ::closedir(fds);
  return found;
}

bool is_number(const char* text) {
  if (*text == '\0') return false;
  for (; *text != '\0'; ++text) {
    if (*text < '0' || *text > '9') return false;
  }
  return true;
}

}  // namespace

int established_connections(int port) {
  return static_cast<int>(tcp_sockets(port, TcpState::established).size());
}

std::vector<pid_t> listening_processes(int port) {
  std::set<std::string> inodes;
  for (const auto& socket : tcp_sockets(port, TcpState::listen)) inodes.insert(std::to_string(socket.inode));
  std::vector<pid_t> pids;
  if (inodes.empty()) return pids;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return pids;
  while (const dirent* entry = ::readdir(proc)) {
    if (is_number(entry->d_name) && holds_one_of(entry->d_name, inodes))
      pids.push_back(static_cast<pid_t>(std::stol(entry->d_name)));
  }
  ::closedir(proc);
  return pids;
}

std::optional<std::string> started_with(pid_t pid, const std::string& name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  const std::string prefix = name + "=";
  std::string entry;
  while (std::getline(in, entry, '\0')) {
    if (entry.rfind(prefix, 0) == 0) return entry.substr(prefix.size());
  }
  return std::nullopt;
}

}  // namespace turnout::util
