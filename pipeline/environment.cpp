#include "pipeline/environment.h"

namespace turnout::pipeline::detail {

namespace {

const char kReservedPrefix[] = "TURNOUT_";

bool is_identifier(const std::string& name) {
  if (name.empty()) return false;
  const auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!letter(name[0])) return false;
  for (const char c : name) {
    if (!letter(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::optional<std::string> env_value(YamlReader& reader, const Entry& entry, const Where& where) {
  if (entry.value.IsScalar()) return entry.value.Scalar();
  const std::string problem = entry.value.IsNull()
                                  ? " has no value (write " + entry.key + ": \"\" for an empty one)"
                                  : " must be a string, number or boolean";
  reader.error(YamlReader::value_mark(entry), where.prefix() + "env '" + entry.key + "'" + problem);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> env_name_problem(const std::string& name, const std::string& noun) {
  if (!is_identifier(name)) {
    return noun + " '" + name +
           "' is not a valid name (use letters, digits and _, not starting with a digit)";
  }
  if (name.rfind(kReservedPrefix, 0) == 0) return noun + " '" + name + "' is reserved for turnout";
  return std::nullopt;
}

EnvMap read_env(YamlReader& reader, const Entry& entry, const Where& where) {
  EnvMap env;
  // `env:` with every variable commented out is an empty mapping, not a mistake.
  if (entry.value.IsNull() || !reader.expect_map(entry, where)) return env;
  for (const Entry& variable : reader.entries(entry.value, {}, where)) {
    if (const auto problem = env_name_problem(variable.key, "env name")) {
      reader.error(variable.key_node, where.prefix() + *problem);
      continue;
    }
    if (auto value = env_value(reader, variable, where)) env[variable.key] = std::move(*value);
  }
  return env;
}

std::vector<std::string> read_secret_names(YamlReader& reader, const Entry& entry, const Where& where) {
  std::vector<std::string> names;
  if (!reader.expect_list(entry, where)) return names;
  FirstSeen seen;
  for (const auto& item : entry.value) {
    if (!item.IsScalar()) {
      reader.error(item.IsNull() ? entry.value : item, where.prefix() + "`secrets` items must be names");
      continue;
    }
    const std::string& name = item.Scalar();
    if (const auto problem = env_name_problem(name, "secret name")) {
      reader.error(item, where.prefix() + *problem);
    } else if (const auto first = seen.add(name, line_of(item))) {
      reader.error(item, where.prefix() + "duplicate secret '" + name + "' (first at line " +
                             std::to_string(*first) + ")");
    } else {
      names.push_back(name);
    }
  }
  return names;
}

}  // namespace turnout::pipeline::detail
