#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include "agent/commands/command.h"
#include "agent/commands/run_lookup.h"
#include "agent/data_dir.h"
#include "agent/exit_code.h"
#include "agent/open_store.h"
#include "agent/run_log.h"

namespace turnout::agent {

namespace {

struct LogsOptions {
  std::string id;
  bool follow = false;
  std::string data_dir;
};

constexpr auto kFollowPoll = std::chrono::milliseconds(200);

// Copies what the file holds beyond `offset` to stdout; returns the new offset.
std::streamoff copy_from(const std::string& path, std::streamoff offset) {
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

// Prints the log as it grows until the run has ended and everything it wrote is out.
int follow(RunStore& store, std::int64_t id, const std::string& path) {
  std::streamoff offset = 0;
  for (;;) {
    const auto run = store.get(id);
    const bool ended = run && run.value() && is_final(run.value()->status);
    offset = copy_from(path, offset);
    if (ended) return kExitSucceeded;
    std::this_thread::sleep_for(kFollowPoll);
  }
}

int show_logs(const LogsOptions& options) {
  const auto data_dir = resolve_data_dir(options.data_dir);
  auto store = open_store(data_dir);
  if (!store) return usage_error("logs", store.error().message);
  const auto run = find_run(*store.value(), options.id);
  if (!run) return usage_error("logs", run.error().message);
  const auto path = run_log_path(data_dir, run.value().id);
  if (options.follow) return follow(*store.value(), run.value().id, path);
  if (!std::ifstream(path))
    return usage_error("logs", "run " + options.id + " has no log yet (" + path + ")");
  copy_from(path, 0);
  return kExitSucceeded;
}

}  // namespace

Command logs_command() {
  return {"logs", "Print the log of a run", [](CLI::App& app) -> CommandHandler {
            auto options = std::make_shared<LogsOptions>();
            app.add_option("id", options->id, "The run's id (see turnout runs)")->required();
            app.add_flag("-f,--follow", options->follow, "Keep printing until the run ends");
            app.add_option("--data-dir", options->data_dir, "Where turnout keeps state");
            return [options] { return show_logs(*options); };
          }};
}

}  // namespace turnout::agent
