#pragma once
// A deploy's `verify:`: a duration (keep probing the new slot that long after the switch), or a
// mapping `{for, max_error_rate, min_requests}` that also judges the new slot's real traffic,
// which the nginx traffic feed reports (so it needs `feed: true` under `proxy.nginx`).

#include <optional>
#include <string>
#include <vector>

#include "pipeline/pipeline.h"
#include "pipeline/yaml_reader.h"

namespace turnout::pipeline::detail {

/// Reads `verify:` of the deploy of `stage` into `deploy.verify` and `deploy.verify_traffic`,
/// reporting each bad key to `reader`.
void read_verify(YamlReader& reader, const Entry& entry, const Where& stage, Deploy& deploy);

/// Reports `verify.max_error_rate` on a deploy whose nginx does not send the traffic feed (there
/// would be no traffic to judge); `entries` are the deploy's, read into `deploy` already.
void check_verify_feed(YamlReader& reader, const std::vector<Entry>& entries, const Where& stage,
                       const Deploy& deploy);

/// A share written as a percentage, `1%`, `0.5%`, `100%`, as a fraction (0.01); "`key` must be
/// a percentage such as 1%" (or "over 100%") reported otherwise.
std::optional<double> read_percentage(YamlReader& reader, const Entry& entry, const Where& where);

}  // namespace turnout::pipeline::detail
