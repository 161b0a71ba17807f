#include "agent/actions/environment_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "agent/client/agent_presence.h"

namespace turnout::agent::actions {

std::string random_delimiter() { return "ghadelimiter_" + make_local_token().substr(0, 32); }

std::string format_output(std::string_view name, std::string_view value, const DelimiterSource& delimiter) {
  std::string out(name);
  // A lone '\r' would also end the line for the runner's reader, which splits on either.
  if (value.find_first_of("\r\n") == std::string_view::npos) {
    out += '=';
    out += value;
    out += '\n';
    return out;
  }
  std::string marker = delimiter();
  while (value.find(marker) != std::string_view::npos) marker = delimiter();
  out += "<<" + marker + '\n';
  out += value;
  out += '\n' + marker + '\n';
  return out;
}

util::Status append_to_file(const std::string& path, std::string_view text) {
  std::FILE* file = std::fopen(path.c_str(), "ab");
  if (file == nullptr) return util::fail("cannot append to '" + path + "': " + std::strerror(errno));
  const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed) return util::fail("cannot write to '" + path + "': " + std::strerror(errno));
  return util::Ok{};
}

}  // namespace turnout::agent::actions
