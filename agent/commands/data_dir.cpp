#include "agent/commands/data_dir.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "agent/config/agent_config.h"

namespace turnout::agent {

namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

std::string absolute_path(const std::filesystem::path& dir) {
  return std::filesystem::absolute(dir).lexically_normal().string();
}

// The data_dir of the agent config at `path`; its errors, each `file:line:column`, when it does
// not load.
util::Result<DataDirChoice> from_config(const std::string& path, const std::string& why) {
  const auto loaded = load_agent_config(path);
  if (!loaded.ok()) {
    std::string message;
    for (const auto& error : loaded.errors) message += (message.empty() ? "" : "\n") + error.to_string();
    return util::fail(message, util::ErrorKind::invalid);
  }
  return DataDirChoice{absolute_path(loaded.config.data_dir), why + " " + path};
}

}  // namespace

void add_data_dir_flags(CLI::App& app, DataDirFlags& flags) {
  app.add_option("--data-dir", flags.data_dir,
                 "Where turnout keeps state (default: --config's data_dir, else $TURNOUT_DATA_DIR, else "
                 "/etc/turnout/agent.yml's, else $XDG_DATA_HOME/turnout, else ~/.local/share/turnout)");
  app.add_option(
      "--config", flags.config,
      std::string("The agent's config: use its data_dir (default: ") + kSystemConfig + " when it exists)");
}

util::Result<DataDirChoice> choose_data_dir(const DataDirFlags& flags) {
  if (!flags.data_dir.empty()) return DataDirChoice{absolute_path(flags.data_dir), "from --data-dir"};
  if (!flags.config.empty()) return from_config(flags.config, "the data_dir of --config");
  if (const auto env = env_or_empty("TURNOUT_DATA_DIR"); !env.empty())
    return DataDirChoice{absolute_path(env), "from $TURNOUT_DATA_DIR"};
  std::error_code error;
  if (std::filesystem::is_regular_file(flags.system_config, error))
    return from_config(flags.system_config, "the data_dir of");
  if (const auto xdg = env_or_empty("XDG_DATA_HOME"); !xdg.empty())
    return DataDirChoice{absolute_path(std::filesystem::path(xdg) / "turnout"), "from $XDG_DATA_HOME"};
  if (const auto home = env_or_empty("HOME"); !home.empty())
    return DataDirChoice{absolute_path(std::filesystem::path(home) / ".local/share/turnout"),
                         "the per-user default"};
  return util::fail("no data folder: $HOME is not set; give --config agent.yml or --data-dir DIR",
                    util::ErrorKind::invalid);
}

util::Result<std::string> existing_data_dir(const DataDirFlags& flags, const char* needs) {
  auto chosen = choose_data_dir(flags);
  if (!chosen) return chosen.error();
  std::error_code error;
  if (std::filesystem::exists(std::filesystem::path(chosen.value().path) / needs, error))
    return chosen.value().path;
  return util::fail("no turnout data in " + chosen.value().path + " (" + chosen.value().why +
                        "): give the agent's --config agent.yml or --data-dir DIR",
                    util::ErrorKind::not_found);
}

}  // namespace turnout::agent
