#pragma once
// The value kinds of agent.yml on top of the pipeline's YamlReader: paths resolved against the
// config's folder, URLs, environment variable names, and secrets named by a file or a variable.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "agent/config/secret_ref.h"
#include "pipeline/yaml_reader.h"

namespace turnout::agent::detail {

using pipeline::detail::Entry;
using pipeline::detail::Where;

/// The top level of agent.yml, as messages name it ("unknown key 'x' in the agent config").
Where top_level();

/// True when a URL's user part holds a password (`https://user:pw@host`): a secret in the file.
bool carries_password(std::string_view url);

/// A YamlReader that knows the agent config's value kinds; each read reports its own errors.
class ConfigReader : public pipeline::detail::YamlReader {
 public:
  /// `file` names the source in diagnostics; `base` is the folder relative paths start from.
  ConfigReader(std::string file, std::filesystem::path base);

  /// A file or folder path, made absolute against `base` when relative; `~/...` is refused.
  std::optional<std::string> path(const Entry& entry, const Where& where);
  /// An `http://` or `https://` URL with a host and no password in it.
  std::optional<std::string> http_url(const Entry& entry, const Where& where);
  /// An environment variable name: letters, digits and `_`, not starting with a digit.
  std::optional<std::string> env_name(const Entry& entry, const Where& where);
  /// Fills `out` from a `*_file` (a path) or `*_env` (a variable name) entry. When `out` is
  /// already set by the other key of the pair, reports "give either ... not both" at this one.
  void secret(const Entry& entry, const Where& where, SecretRef& out);

 private:
  std::filesystem::path base_;
};

}  // namespace turnout::agent::detail
