#include "util/terminal_color.h"

#include <unistd.h>

#include <cstdlib>

namespace turnout::util {

bool wants_color(std::FILE* file) { return isatty(fileno(file)) == 1 && std::getenv("NO_COLOR") == nullptr; }

std::string paint(bool enabled, const char* code, std::string_view text) {
  if (!enabled) return std::string(text);
  return "\x1b[" + std::string(code) + "m" + std::string(text) + "\x1b[0m";
}

}  // namespace turnout::util
