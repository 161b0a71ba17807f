#pragma once

#include <string>

namespace turnout::agent {

/// Where turnout keeps state: `flag` when given, else $TURNOUT_DATA_DIR, else
/// $XDG_DATA_HOME/turnout, else ~/.local/share/turnout. Returned absolute; not created here.
std::string resolve_data_dir(const std::string& flag);

}  // namespace turnout::agent
