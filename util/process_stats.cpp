#include "util/process_stats.h"

#include <unistd.h>

#include <sstream>
#include <string>

#include "util/read_file.h"

namespace turnout::util {

std::optional<ProcessStats> read_process_stats(pid_t pid) {
  const std::string path = pid == 0 ? "/proc/self/stat" : "/proc/" + std::to_string(pid) + "/stat";
  const auto read = read_whole_file(path);
  if (!read) return std::nullopt;
  const std::string& stat = read.value();
  // The command (field 2) may hold spaces and parentheses: the fields start after its last ')'.
  const auto end_of_command = stat.rfind(')');
  if (end_of_command == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(end_of_command + 1));
  std::string field;
  unsigned long long utime = 0, stime = 0, rss_pages = 0;
  for (int index = 3; fields >> field; ++index) {
    if (index == 14) utime = std::stoull(field);
    if (index == 15) stime = std::stoull(field);
    if (index == 24) {
      rss_pages = std::stoull(field);
      const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
      const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
      return ProcessStats{static_cast<double>(utime + stime) / ticks, rss_pages * page};
    }
  }
  return std::nullopt;
}

}  // namespace turnout::util
