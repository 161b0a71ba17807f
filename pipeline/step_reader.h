#pragma once
// A stage's `steps:`: shell steps with their run script, env, timeout and working directory.

#include <optional>
#include <string>
#include <vector>

#include "pipeline/pipeline.h"
#include "pipeline/yaml_reader.h"

namespace turnout::pipeline::detail {

/// Reads `steps:` of the stage named by `stage` ("stage 'build'"): a non-empty list of step
/// mappings whose names (given or derived) are unique in the stage. Errors go to `reader`.
std::vector<Step> read_steps(YamlReader& reader, const Entry& entry, const Where& stage);

/// The name of a step without `name:`: the first non-blank line of `run`, trimmed, cut to 60
/// characters (UTF-8 code points).
std::string derived_step_name(const std::string& run);

/// Why `path` is not a safe `working_directory` (absolute, or with a `..` component); nullopt if it is.
std::optional<std::string> relative_path_problem(const std::string& path);

}  // namespace turnout::pipeline::detail
