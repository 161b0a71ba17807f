#pragma once
// Which data folder a command works on (README.md, "The data folder"): the flag, the agent's
// config, the environment, the package's config, or the per-user default, in that order. A
// command that only reads never creates one.

#include <CLI/CLI.hpp>
#include <string>

#include "util/result.h"

namespace turnout::agent {

/// The package's agent config (the systemd unit's `--config`): the CLI's default when it exists.
inline constexpr const char* kSystemConfig = "/etc/turnout/agent.yml";

/// How a person told a command where its data is, as typed.
struct DataDirFlags {
  std::string data_dir;  ///< --data-dir
  std::string config;    ///< --config: an agent.yml whose data_dir is used
  /// The package's config, used when it exists; always kSystemConfig but in tests, which may not
  /// write to /etc.
  std::string system_config = kSystemConfig;
};

/// The data folder and how it was chosen (for messages).
struct DataDirChoice {
  std::string path;  ///< absolute
  std::string why;   ///< e.g. "from --config /etc/turnout/agent.yml", "the default ~/.local/share/turnout"
};

/// Declares --data-dir and --config on `app`, bound to `flags`.
void add_data_dir_flags(CLI::App& app, DataDirFlags& flags);

/// The data folder: --data-dir, else --config's data_dir, else $TURNOUT_DATA_DIR, else the
/// data_dir of `flags.system_config` (kSystemConfig) when that file exists, else $XDG_DATA_HOME/turnout, else
/// $HOME/.local/share/turnout. Not created here. Fails (one line per config error, with its
/// position) when the config does not load, or when nothing names a folder ($HOME unset).
util::Result<DataDirChoice> choose_data_dir(const DataDirFlags& flags);

/// choose_data_dir() for a command that only reads: fails with one line saying how the folder
/// was chosen and how to choose another when it holds no `needs` (kind not_found): turnout.db
/// for the runs, "." (the folder itself) for the deploys.
util::Result<std::string> existing_data_dir(const DataDirFlags& flags, const char* needs = "turnout.db");

}  // namespace turnout::agent
