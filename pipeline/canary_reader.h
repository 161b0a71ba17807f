#pragma once
// `strategy: canary`'s keys of a deploy (README, "Canary deploys"): `steps` (weights held in
// turn), `analysis` (what the canary's traffic must look like against the live slot's) and
// `sticky`; and the checks that tie them to the rest of the deploy (the probe interval, the
// proxy, an outside supervisor).

#include <vector>

#include "pipeline/pipeline.h"
#include "pipeline/yaml_reader.h"

namespace turnout::pipeline::detail {

/// The deploy keys only a canary has.
extern const std::vector<std::string> kCanaryKeys;

/// Reads the canary's keys among `entries` (the deploy's) into `deploy.canary` when the strategy
/// is canary, or reports each as belonging to `strategy: canary` when it is not; then checks the
/// canary against the rest of `deploy` (read whole by now). `map` is the deploy's mapping.
void read_canary(YamlReader& reader, const std::vector<Entry>& entries, const Entry& map, const Where& where,
                 Deploy& deploy);

/// A share written as a percent, `10%` or `0.5%`, as a number of percent; nullopt without the
/// `%` or when what precedes it is not a number. (verify_reader reads its percentages with it too.)
std::optional<double> parse_percent(const std::string& text);

}  // namespace turnout::pipeline::detail
