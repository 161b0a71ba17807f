#pragma once
// Reading `resources:` (pipeline/resources.h) at any level of a pipeline file.

#include "pipeline/resources.h"
#include "pipeline/yaml_reader.h"

namespace turnout::pipeline::detail {

/// Reads `resources:`, a mapping of `cpu_class` (idle, normal), `nice` (0..19), `io` (idle,
/// best-effort, normal), `memory` (a size of at least 1M), `pids` (1 or more) and `cpu` (a
/// percentage, 100% = one core). Each bad key or value is reported at its position and left out.
Resources read_resources(YamlReader& reader, const Entry& entry, const Where& where);

}  // namespace turnout::pipeline::detail
