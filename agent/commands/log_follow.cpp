#include "agent/commands/log_follow.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string_view>
#include <thread>

#include "agent/run/exit_code.h"
#include "agent/run/run_log.h"
#include "util/terminal_color.h"

namespace turnout::agent {

namespace {

constexpr auto kFollowPoll = std::chrono::milliseconds(200);

// Whole log lines painted for a terminal: the time dimmed, the marker by what it says (`err`
// red, turnout's own `---` notes yellow, stage and step boundaries bold); the text as written.
std::string painted_lines(std::string_view lines) {
  using namespace util::sgr;
  std::string out;
  for (std::size_t start = 0; start < lines.size();) {
    const auto end = lines.find('\n', start);
    const auto line = lines.substr(start, end - start);
    start = end == std::string_view::npos ? lines.size() : end + 1;
    const auto time_end = line.find(' ');
    if (time_end == std::string_view::npos || line.size() < time_end + 4) {
      out.append(line).push_back('\n');
      continue;
    }
    const auto marker = line.substr(time_end + 1, 3);
    const char* code = marker == "err" ? kRed : marker == "---" ? kYellow : marker == "out" ? nullptr : kBold;
    out += util::paint(true, kDim, line.substr(0, time_end)) + " ";
    out += code == nullptr ? std::string(marker) : util::paint(true, code, marker);
    out.append(line.substr(time_end + 4)).push_back('\n');
  }
  return out;
}

}  // namespace

std::streamoff print_log_from(const std::string& path, std::streamoff offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return offset;
  in.seekg(offset);
  const bool color = util::wants_color(stdout);
  std::string pending;  // with colour: the start of a line not written out yet
  char buffer[64 * 1024];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    const std::string_view read(buffer, static_cast<std::size_t>(in.gcount()));
    if (!color) {
      std::fwrite(read.data(), 1, read.size(), stdout);
      offset += in.gcount();
      continue;
    }
    pending.append(read);
    const auto end = pending.rfind('\n');
    if (end == std::string::npos) continue;
    std::fputs(painted_lines(std::string_view(pending).substr(0, end + 1)).c_str(), stdout);
    offset += static_cast<std::streamoff>(end + 1);
    pending.erase(0, end + 1);
  }
  // A line still being written is printed, painted, once it has ended.
  std::fflush(stdout);
  return offset;
}

RunStatus follow_log(RunHistory& store, std::int64_t id, const std::string& path) {
  std::streamoff offset = 0;
  for (;;) {
    const auto run = store.get(id);
    if (!run) return RunStatus::error;
    const bool ended = run.value() && is_final(run.value()->status);
    // Read the status first: once it is final, everything the run wrote is in the file.
    offset = print_log_from(path, offset);
    if (ended) return run.value()->status;
    std::this_thread::sleep_for(kFollowPoll);
  }
}

int follow_to_end(RunHistory& store, std::int64_t id, const std::string& data_dir) {
  const RunStatus status = follow_log(store, id, run_log_path(data_dir, id));
  if (status == RunStatus::succeeded) return kExitSucceeded;
  return status == RunStatus::cancelled ? kExitCancelled : kExitFailed;
}

}  // namespace turnout::agent
