#include "util/exec.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

namespace turnout::util {

std::string path_variable(const std::vector<std::string>& env) {
  for (const auto& entry : env) {
    if (entry.starts_with("PATH=")) return entry.substr(5);
  }
  return "/usr/local/bin:/usr/bin:/bin";
}

Result<std::string> find_program(const std::string& name, const std::vector<std::string>& env,
                                 const std::string& cwd) {
  if (name.find('/') != std::string::npos) return name;
  int error = ENOENT;
  const std::string path = path_variable(env);
  std::string_view dirs = path;
  while (true) {
    const std::size_t colon = dirs.find(':');
    const std::string_view dir = dirs.substr(0, colon);
    // An empty entry is the current directory; "./" keeps exec from searching for it again.
    std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + name;
    // Looked for where exec will run: after the child's chdir.
    const std::filesystem::path probe =
        cwd.empty() ? std::filesystem::path(candidate) : std::filesystem::path(cwd) / candidate;
    struct stat info {};
    if (::stat(probe.c_str(), &info) == 0 && S_ISREG(info.st_mode)) {
      if (::access(probe.c_str(), X_OK) == 0) return candidate;
      error = EACCES;
    }
    if (colon == std::string_view::npos) return fail(std::strerror(error));
    dirs.remove_prefix(colon + 1);
  }
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  // exec takes char* const[] for historical reasons; it does not write through them.
  for (const auto& s : strings) pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace turnout::util
