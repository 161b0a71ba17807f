#include "agent/commands/data_dir.h"

#include <cstdlib>
#include <filesystem>

namespace turnout::agent {

namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

}  // namespace

std::string resolve_data_dir(const std::string& flag) {
  std::filesystem::path dir = flag;
  if (dir.empty()) dir = env_or_empty("TURNOUT_DATA_DIR");
  if (dir.empty() && !env_or_empty("XDG_DATA_HOME").empty()) dir = env_or_empty("XDG_DATA_HOME") + "/turnout";
  if (dir.empty()) dir = env_or_empty("HOME") + "/.local/share/turnout";
  return std::filesystem::absolute(dir).lexically_normal().string();
}

}  // namespace turnout::agent
