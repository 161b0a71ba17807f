#include "agent/commands/log_follow.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

namespace turnout::agent {

namespace {

constexpr auto kFollowPoll = std::chrono::milliseconds(200);

}  // namespace

std::streamoff print_log_from(const std::string& path, std::streamoff offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return offset;
  in.seekg(offset);
  char buffer[64 * 1024];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    std::fwrite(buffer, 1, static_cast<std::size_t>(in.gcount()), stdout);
    offset += in.gcount();
  }
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

}  // namespace turnout::agent
