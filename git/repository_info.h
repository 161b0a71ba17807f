#pragma once

#include <optional>
#include <string>

namespace turnout::git {

/// What is checked out in a working tree.
struct CheckoutInfo {
  std::string root;    ///< the working tree's top folder
  std::string branch;  ///< short name (`main` for refs/heads/main); "" when detached or unborn
  std::string sha;     ///< full hex id of HEAD's commit; "" when unborn
};

/// Describes the repository that contains `path`; nullopt when `path` is in none.
std::optional<CheckoutInfo> describe_checkout(const std::string& path);

}  // namespace turnout::git
