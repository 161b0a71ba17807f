#pragma once
// `stages:`: named stages of shell steps or a deploy, with their env and run conditions.

#include <string>
#include <vector>

#include "pipeline/pipeline.h"
#include "pipeline/yaml_reader.h"

namespace turnout::pipeline::detail {

/// Reads `stages:`, a non-empty list of stages with unique names, each with either `steps` or
/// `deploy`. Errors go to `reader`; a stage that is not a mapping is left out.
std::vector<Stage> read_stages(YamlReader& reader, const Entry& entry);

/// Reads a branch filter (`on:` of the pipeline, `when:` of a stage): `{branches: [glob, ...]}`.
std::vector<std::string> read_branch_filter(YamlReader& reader, const Entry& entry, const Where& where);

}  // namespace turnout::pipeline::detail
