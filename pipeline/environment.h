#pragma once
// `env:` maps (at the pipeline, stage and step level) and `secrets:` names: the identifier rule
// they share and the `TURNOUT_` prefix that turnout reserves for its own variables.

#include <optional>
#include <string>
#include <vector>

#include "pipeline/pipeline.h"
#include "pipeline/yaml_reader.h"

namespace turnout::pipeline::detail {

/// Why `name` cannot be an environment variable ("env name 'X' is reserved for turnout"), where
/// `noun` is "env name" or "secret name"; nullopt when it can.
std::optional<std::string> env_name_problem(const std::string& name, const std::string& noun);

/// Reads an `env:` mapping of names to scalars (numbers and booleans taken as their text); a
/// null value means an empty mapping. Bad names and values are reported and left out.
EnvMap read_env(YamlReader& reader, const Entry& entry, const Where& where);

/// Reads `secrets:`, a list of unique variable names. Bad or repeated names are reported and left out.
std::vector<std::string> read_secret_names(YamlReader& reader, const Entry& entry, const Where& where);

}  // namespace turnout::pipeline::detail
