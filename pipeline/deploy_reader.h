#pragma once
// A stage's `deploy:` (strategy blue-green): the app, its two slots, how to start, check and
// switch to a slot, and how long to wait around the switch.

#include <optional>
#include <string>

#include "pipeline/pipeline.h"
#include "pipeline/yaml_reader.h"

namespace turnout::pipeline::detail {

/// Reads `deploy:` of the stage named by `stage`; nullopt when it is not a mapping. Every bad or
/// missing key is reported to `reader`; defaults are those of the Deploy model.
std::optional<Deploy> read_deploy(YamlReader& reader, const Entry& entry, const Where& stage);

/// True for an app name that is safe as a folder name: `[a-z0-9][a-z0-9._-]*`.
bool is_app_name(const std::string& name);

}  // namespace turnout::pipeline::detail
