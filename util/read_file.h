#pragma once

#include <string>

#include "util/result.h"

namespace turnout::util {

/// The whole content of the file at `path`, read as bytes. Fails with the system's reason
/// ("No such file or directory"), kind not_found when there is no such file.
Result<std::string> read_whole_file(const std::string& path);

}  // namespace turnout::util
