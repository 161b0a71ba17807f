#pragma once
// YAML text into documents, for the pipeline and the agent config alike: a syntax error as one
// diagnostic at its position, said plainly where yaml-cpp's words would puzzle (a tab).

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "pipeline/yaml_reader.h"

namespace turnout::pipeline::detail {

/// How many nodes aliases may add to a file's documents (each alias counts the nodes of what it
/// repeats): a few kilobytes of aliases can otherwise stand for billions of nodes to validate.
inline constexpr std::uint64_t kMaxAliasedNodes = 100000;

/// Every YAML document of `text`; nullopt after reporting to `reader` why there are none: a
/// syntax error at the parser's mark, "YAML indents with spaces; found a tab" at the tab when
/// the line the parser stopped on is indented with one, or aliases that add more than
/// kMaxAliasedNodes nodes, at the alias that goes over.
std::optional<std::vector<YAML::Node>> load_documents(std::string_view text, YamlReader& reader);

}  // namespace turnout::pipeline::detail
