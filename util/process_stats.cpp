#include "util/process_stats.h"

#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "util/read_file.h"

namespace turnout::util {

namespace {

// The fields of /proc/PID/stat that the stats need.
struct StatFields {
  char state = 0;
  pid_t session = 0;
  ProcessStats stats;
};

std::optional<StatFields> read_stat(const std::string& path) {
  const auto read = read_whole_file(path);
  if (!read) return std::nullopt;
  const std::string& stat = read.value();
  // The command (field 2) may hold spaces and parentheses: the fields start after its last ')'.
  const auto end_of_command = stat.rfind(')');
  if (end_of_command == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(end_of_command + 1));
  std::string field;
  StatFields found;
  unsigned long long ticks[4] = {};  // utime, stime, cutime, cstime: fields 14 to 17
  for (int index = 3; fields >> field; ++index) {
    if (index == 3) found.state = field.front();
    if (index == 6) found.session = static_cast<pid_t>(std::stol(field));
    if (index >= 14 && index <= 17) ticks[index - 14] = std::stoull(field);
    if (index == 24) {
      const double per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
      const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
      found.stats =
          ProcessStats{static_cast<double>(ticks[0] + ticks[1]) / per_second,
                       static_cast<double>(ticks[2] + ticks[3]) / per_second, std::stoull(field) * page};
      return found;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<ProcessStats> read_process_stats(pid_t pid) {
  const auto found = read_stat(pid == 0 ? "/proc/self/stat" : "/proc/" + std::to_string(pid) + "/stat");
  if (!found) return std::nullopt;
  return found->stats;
}

std::optional<ProcessStats> read_session_stats(pid_t session) {
  if (session <= 0) return std::nullopt;
  std::optional<ProcessStats> sum;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto found = read_stat(entry.path().string() + "/stat");
    // A zombie's figures are already its parent's to count once it is waited for.
    if (!found || found->session != session || found->state == 'Z' || found->state == 'X') continue;
    if (!sum) sum = ProcessStats{};
    sum->cpu_seconds += found->stats.cpu_seconds;
    sum->waited_cpu_seconds += found->stats.waited_cpu_seconds;
    sum->resident_bytes += found->stats.resident_bytes;
  }
  return sum;
}

}  // namespace turnout::util
