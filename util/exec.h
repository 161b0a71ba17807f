#pragma once
// What exec needs, built the one way: a program looked up in a child's own PATH, and argv/envp
// as the C arrays exec takes.

#include <string>
#include <vector>

#include "util/result.h"

namespace turnout::util {

/// The PATH of `env` ("NAME=value" entries), or what a login shell would give a PATH-less
/// child (/usr/local/bin:/usr/bin:/bin).
std::string path_variable(const std::vector<std::string>& env);

/// Where exec should find `name` for a child with environment `env` that runs in `cwd` ("" =
/// ours): `name` itself when it has a '/', else the first executable regular file of that name
/// in the child's PATH (not ours, as execvp would search). A relative PATH entry is relative to
/// `cwd`, and so is the path returned for it. Fails with the text of the errno exec would
/// report: EACCES when only a non-executable one was found, else ENOENT.
Result<std::string> find_program(const std::string& name, const std::vector<std::string>& env,
                                 const std::string& cwd);

/// Pointers to each of `strings` and a final nullptr, as exec takes argv and envp; valid while
/// `strings` lives unchanged.
std::vector<char*> c_strings(const std::vector<std::string>& strings);

}  // namespace turnout::util
