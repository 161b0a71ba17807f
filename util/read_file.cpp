#include "util/read_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace turnout::util {

Result<std::string> read_whole_file(const std::string& path) {
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rbe"), &std::fclose);
  if (!file) return fail(std::strerror(errno), errno == ENOENT ? ErrorKind::not_found : ErrorKind::failed);
  std::string text;
  char buffer[8192];
  std::size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) text.append(buffer, count);
  if (std::ferror(file.get())) return fail(std::strerror(errno));
  return text;
}

}  // namespace turnout::util
