#include "util/process_identity.h"

#include <unistd.h>

#include <sstream>
#include <string>

#include "util/read_file.h"

namespace turnout::util {
namespace {

// The state letters of a process that has ended: zombie, and dead (seen only for an instant).
bool has_ended(char state) { return state == 'Z' || state == 'X' || state == 'x'; }

// Parses /proc/PID/stat. The command name (field 2) is in parentheses and may itself contain
// spaces and ')', so the fixed fields are read after the LAST ')'.
std::optional<ProcessIdentity> parse_stat(pid_t pid, const std::string& stat) {
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 1));
  char state = 0;
  if (!(fields >> state) || has_ended(state)) return std::nullopt;
  // Fields 4 to 21 (ppid ... itrealvalue) come between the state and starttime (field 22).
  std::string skipped;
  for (int field = 4; field <= 21; ++field) {
    if (!(fields >> skipped)) return std::nullopt;
  }
  std::uint64_t start_time = 0;
  if (!(fields >> start_time)) return std::nullopt;
  return ProcessIdentity{pid, start_time};
}

}  // namespace

std::optional<ProcessIdentity> identify(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  // Read it whole: a command name may even contain a newline. Through stdio, which reports a
  // process that ended between open and read (ESRCH) as an error: an istreambuf_iterator throws.
  const auto stat = read_whole_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::nullopt;
  return parse_stat(pid, stat.value());
}

ProcessIdentity self_identity() {
  // /proc/self always exists while we run; a zero start time only if /proc is not mounted.
  const pid_t self = ::getpid();
  return identify(self).value_or(ProcessIdentity{self, 0});
}

bool is_alive(const ProcessIdentity& identity) {
  const auto now = identify(identity.pid);
  return now && now->start_time == identity.start_time;
}

}  // namespace turnout::util
