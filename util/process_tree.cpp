#include "util/process_tree.h"

#include <time.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "util/read_file.h"

namespace turnout::util {

namespace {

// The state and parent of `pid` from /proc/PID/stat, read after the last ')' (the command name
// may hold spaces and parentheses).
std::optional<std::pair<char, pid_t>> state_and_parent(pid_t pid) {
  const auto read = read_whole_file("/proc/" + std::to_string(pid) + "/stat");
  if (!read) return std::nullopt;
  const std::string& stat = read.value();
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 1));
  char state = 0;
  pid_t parent = 0;
  if (!(fields >> state >> parent) || state == 'Z' || state == 'X') return std::nullopt;
  return std::pair{state, parent};
}

}  // namespace

std::optional<pid_t> parent_of(pid_t pid) {
  const auto found = state_and_parent(pid);
  if (!found) return std::nullopt;
  return found->second;
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (const auto found = state_and_parent(pid); found && found->second == parent) children.push_back(pid);
  }
  return children;
}

std::string command_line(pid_t pid) {
  auto read = read_whole_file("/proc/" + std::to_string(pid) + "/cmdline");
  std::string text = read ? std::move(read.value()) : std::string();
  for (char& c : text) {
    if (c == '\0') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// The kernel stamps a process's start with CLOCK_BOOTTIME and shows it in ticks, rounded down:
// the same clock and rounding here, in integers. (/proc/uptime read as a double rounded
// 10004.36 s to 1000435 ticks: a process just started looked younger than the clock.)
std::uint64_t ticks_since_boot() {
  timespec now{};
  ::clock_gettime(CLOCK_BOOTTIME, &now);
  const auto per_second = static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
  return static_cast<std::uint64_t>(now.tv_sec) * per_second +
         static_cast<std::uint64_t>(now.tv_nsec) / (1'000'000'000 / per_second);
}

}  // namespace turnout::util
