#pragma once
// YAML text into documents, for the pipeline and the agent config alike: a syntax error as one
// diagnostic at its position, said plainly where yaml-cpp's words would puzzle (a tab).

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string_view>
#include <vector>

#include "pipeline/yaml_reader.h"

namespace turnout::pipeline::detail {

/// Every YAML document of `text`; nullopt after reporting to `reader` why there are none: a
/// syntax error at the parser's mark, or "YAML indents with spaces; found a tab" at the tab
/// when the line the parser stopped on is indented with one.
std::optional<std::vector<YAML::Node>> load_documents(std::string_view text, YamlReader& reader);

}  // namespace turnout::pipeline::detail
