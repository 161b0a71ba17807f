#include "util/port_owner.h"

#include <dirent.h>
#include <unistd.h>

#include <climits>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

namespace turnout::util {

namespace {

constexpr const char* kListen = "0A";       // TCP_LISTEN in /proc/net/tcp's `st` column
constexpr const char* kEstablished = "01";  // TCP_ESTABLISHED

// Each row of a /proc/net/tcp-style table: its local port, its state and its inode.
template <typename Row>
void each_socket(const char* table, Row row) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >>
          inode))
      continue;
    const auto colon = local.rfind(':');
    if (colon == std::string::npos) continue;
    row(std::stoi(local.substr(colon + 1), nullptr, 16), state, inode);
  }
}

// The inodes of the sockets listening on `port` in a /proc/net/tcp-style table.
void listening_inodes(const char* table, int port, std::set<std::string>& inodes) {
  each_socket(table, [&](int local, const std::string& state, const std::string& inode) {
    if (local == port && state == kListen) inodes.insert(inode);
  });
}

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
  int count = 0;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    each_socket(table, [&](int local, const std::string& state, const std::string&) {
      if (local == port && state == kEstablished) ++count;
    });
  }
  return count;
}

std::vector<pid_t> listening_processes(int port) {
  std::set<std::string> inodes;
  listening_inodes("/proc/net/tcp", port, inodes);
  listening_inodes("/proc/net/tcp6", port, inodes);
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
