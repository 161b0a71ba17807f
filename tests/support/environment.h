#pragma once
// The environment a test gives a child it starts: the test's own, with some variables set.

#include <map>
#include <string>
#include <vector>

namespace turnout::test {

/// This process's environment with `extra` added (a name in both takes `extra`'s value), as
/// "NAME=value" strings sorted by name.
std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra);

}  // namespace turnout::test
