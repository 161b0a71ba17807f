#include "pipeline/canary_reader.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>

#include "util/duration.h"

namespace turnout::pipeline::detail {

const std::vector<std::string> kCanaryKeys = {"steps", "analysis", "sticky"};

namespace {

const std::vector<std::string> kStepKeys = {"weight", "hold"};
const std::vector<std::string> kAnalysisKeys = {"max_error_rate", "max_latency_ratio", "min_requests",
                                                "window"};

Where part(const std::string& name, const Where& where) {
  return Where{"`deploy." + name + "`", where.owner};
}

const Entry* find(const std::vector<Entry>& entries, const std::string& key) {
  const auto found =
      std::find_if(entries.begin(), entries.end(), [&](const Entry& entry) { return entry.key == key; });
  return found == entries.end() ? nullptr : &*found;
}

std::string percent_text(int weight) { return std::to_string(weight) + "%"; }

// A weight: a whole percent from 1% to 100% (nginx splits clients into 100 buckets).
std::optional<int> read_weight(YamlReader& reader, const Entry& entry, const Where& where) {
  const auto text = reader.text(entry, where);
  if (!text) return std::nullopt;
  const auto percent = parse_percent(*text);
  if (!percent) {
    reader.error(entry.value,
                 where.prefix() + "`weight` '" + *text + "' must be a percent of the traffic, " +
                     (text->find('%') == std::string::npos ? "with its % sign (e.g. " + *text + "%)"
                                                           : std::string("e.g. 10%")));
    return std::nullopt;
  }
  if (*percent != std::floor(*percent) || *percent < 1) {
    reader.error(entry.value, where.prefix() + "`weight` " + *text +
                                  " must be a whole percent of at least 1% (traffic is split in 1% buckets)");
    return std::nullopt;
  }
  if (*percent > 100) {
    reader.error(entry.value, where.prefix() + "`weight` " + *text + " is over 100%");
    return std::nullopt;
  }
  return static_cast<int>(*percent);
}

std::optional<CanaryStep> read_step(YamlReader& reader, const YAML::Node& node, int index,
                                    const Where& where) {
  const Where step{"`deploy.steps` item " + std::to_string(index), where.owner};
  if (!node.IsMap()) {
    reader.error(node, step.prefix() + "must be a mapping such as {weight: 10%, hold: 2m}");
    return std::nullopt;
  }
  const auto entries = reader.entries(node, kStepKeys, step);
  reader.require(node, entries, kStepKeys, step);
  CanaryStep result;
  result.position = position_of(node);
  bool whole = find(entries, "weight") != nullptr && find(entries, "hold") != nullptr;
  for (const Entry& key : entries) {
    if (key.key == "weight") {
      const auto weight = read_weight(reader, key, step);
      whole = whole && weight.has_value();
      result.weight = weight.value_or(0);
    } else {
      const auto hold = reader.positive_duration(key, step);
      whole = whole && hold.has_value();
      result.hold = hold.value_or(result.hold);
    }
  }
  if (!whole) return std::nullopt;
  return result;
}

// Each weight above the one before (a step that does not raise the share judges nothing new).
void check_increasing(YamlReader& reader, const YAML::Node& list, const std::vector<CanaryStep>& steps,
                      const Where& where) {
  for (std::size_t i = 1; i < steps.size(); ++i) {
    if (steps[i].weight > steps[i - 1].weight) continue;
    reader.error(list[i]["weight"],
                 Where{"`deploy.steps` item " + std::to_string(i + 1), where.owner}.prefix() + "`weight` " +
                     percent_text(steps[i].weight) + " must be above the step before's " +
                     percent_text(steps[i - 1].weight) + " (line " +
                     std::to_string(steps[i - 1].position.line) +
                     "): weights increase, and 100% follows the last step");
  }
}

std::vector<CanaryStep> read_steps(YamlReader& reader, const Entry& entry, const Where& where) {
  std::vector<CanaryStep> steps;
  if (!reader.expect_list(entry, where)) return steps;
  if (entry.value.size() == 0) {
    reader.error(entry.value, part("steps", where).prefix() +
                                  "needs at least one step, e.g. [ {weight: 10%, hold: 2m} ] (then 100%)");
    return steps;
  }
  bool whole = true;
  for (std::size_t i = 0; i < entry.value.size(); ++i) {
    auto step = read_step(reader, entry.value[i], static_cast<int>(i + 1), where);
    whole = whole && step.has_value();
    if (step) steps.push_back(*step);
  }
  // The order is checked only when every step was read: a bad step would shift the comparison.
  if (whole) check_increasing(reader, entry.value, steps, where);
  return steps;
}

std::optional<double> read_rate(YamlReader& reader, const Entry& entry, const Where& where) {
  const auto text = reader.text(entry, where);
  if (!text) return std::nullopt;
  const auto percent = parse_percent(*text);
  if (!percent || *percent < 0 || *percent > 100) {
    reader.error(entry.value, where.prefix() + "`max_error_rate` '" + *text +
                                  "' must be a percent from 0% to 100%, with its % sign (e.g. 1%)");
    return std::nullopt;
  }
  return *percent / 100;
}

std::optional<double> read_ratio(YamlReader& reader, const Entry& entry, const Where& where) {
  const auto text = reader.text(entry, where);
  if (!text) return std::nullopt;
  double ratio = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), ratio);
  if (error != std::errc() || end != text->data() + text->size() || !std::isfinite(ratio) || ratio < 1) {
    reader.error(entry.value, where.prefix() + "`max_latency_ratio` '" + *text +
                                  "' must be a number of at least 1 (the canary's p95 latency over the live "
                                  "slot's, e.g. 1.5)");
    return std::nullopt;
  }
  return ratio;
}

CanaryAnalysis read_analysis(YamlReader& reader, const Entry& entry, const Where& where) {
  CanaryAnalysis analysis;
  if (!reader.expect_map(entry, where)) return analysis;
  const Where here = part("analysis", where);
  const auto entries = reader.entries(entry.value, kAnalysisKeys, here);
  for (const Entry& key : entries) {
    if (key.key == "max_error_rate") {
      analysis.max_error_rate = read_rate(reader, key, here);
    } else if (key.key == "max_latency_ratio") {
      analysis.max_latency_ratio = read_ratio(reader, key, here);
    } else if (key.key == "min_requests") {
      analysis.min_requests = reader.integer(key, here, 1, INT_MAX);
    } else {
      analysis.window = reader.positive_duration(key, here);
    }
  }
  const bool threshold = find(entries, "max_error_rate") != nullptr ||
                         find(entries, "max_latency_ratio") != nullptr ||
                         find(entries, "min_requests") != nullptr;
  const bool misspelt = std::any_of(kAnalysisKeys.begin(), kAnalysisKeys.end(), [&](const std::string& key) {
    return reader.was_misspelt(entry.value, key);
  });
  if (!threshold && !misspelt) {
    reader.error(entry.value, here.prefix() +
                                  "sets no threshold: give max_error_rate, max_latency_ratio or min_requests "
                                  "(or leave `analysis` out to judge the canary by its probes only)");
  }
  return analysis;
}

void read_sticky(YamlReader& reader, const Entry& entry, const Where& where, Canary& canary) {
  const auto text = reader.text(entry, where);
  if (!text) return;
  for (const Sticky sticky : {Sticky::cookie, Sticky::ip, Sticky::none}) {
    if (*text != to_string(sticky)) continue;
    canary.sticky = sticky;
    return;
  }
  reader.error(entry.value, where.prefix() + "unknown `sticky` '" + *text +
                                "' (expected cookie, the default: a client keeps its version by a cookie; "
                                "ip; or none)");
}

// Whether a command names the slot it is given: an outside supervisor's start that does not
// starts the same thing for both slots, and a canary needs both serving at once.
bool names_the_slot(const std::string& command) {
  return command.find("TURNOUT_SLOT") != std::string::npos || command.find("PORT") != std::string::npos;
}

// What the canary needs of the rest of the deploy, each reported at the key to change.
void check_with_deploy(YamlReader& reader, const std::vector<Entry>& entries, const Where& where,
                       const Deploy& deploy) {
  const Canary& canary = *deploy.canary;
  const Entry* steps = find(entries, "steps");
  // Positions are the list's items: only when every step was read do the two line up.
  const bool whole =
      steps != nullptr && steps->value.IsSequence() && steps->value.size() == canary.steps.size();
  for (std::size_t i = 0; whole && i < canary.steps.size(); ++i) {
    const CanaryStep& step = canary.steps[i];
    const Where item{"`deploy.steps` item " + std::to_string(i + 1), where.owner};
    if (step.hold < deploy.health.interval) {
      reader.error(steps->value[i]["hold"],
                   item.prefix() + "`hold` " + util::format_duration(step.hold) +
                       " is shorter than the health probe interval (" +
                       util::format_duration(deploy.health.interval) +
                       "): hold longer, or probe more often (`deploy.health.interval`)");
    }
    if (canary.analysis.window && *canary.analysis.window > step.hold) {
      reader.error(steps->value[i]["hold"],
                   item.prefix() + "`hold` " + util::format_duration(step.hold) +
                       " is shorter than `deploy.analysis.window` (" +
                       util::format_duration(*canary.analysis.window) +
                       "): the analysis judges the end of each hold; hold longer or shorten the window");
    }
  }
  const Entry* proxy = find(entries, "proxy");
  if (proxy != nullptr && deploy.proxy.command) {
    reader.error(proxy->key_node, where.prefix() +
                                      "`strategy: canary` needs `proxy.nginx` (its includes split the "
                                      "traffic); the command backend only switches all of it");
  } else if (proxy != nullptr && deploy.proxy.nginx && deploy.proxy.nginx->mode == NginxMode::reload) {
    reader.error(proxy->key_node, where.prefix() +
                                      "`strategy: canary` needs nginx's mode flag (the weights live in its "
                                      "includes, changed without a reload): drop `mode: reload` and "
                                      "`upstream_file`");
  }
  const Entry* stop = find(entries, "stop");
  if (stop != nullptr && !deploy.start.empty() && !names_the_slot(deploy.start)) {
    reader.error(stop->key_node,
                 where.prefix() +
                     "`strategy: canary` runs both slots at once, and this outside supervisor's `start` "
                     "names neither $TURNOUT_SLOT nor $PORT, so it cannot run two (e.g. `systemctl start "
                     "app@$TURNOUT_SLOT`, `docker run -p $PORT:8080 ...`)");
  }
}

}  // namespace

std::optional<double> parse_percent(const std::string& text) {
  if (text.size() < 2 || text.back() != '%') return std::nullopt;
  double value = 0;
  const char* end = text.data() + text.size() - 1;
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

void read_canary(YamlReader& reader, const std::vector<Entry>& entries, const Entry& map, const Where& where,
                 Deploy& deploy) {
  if (deploy.strategy != "canary") {
    for (const Entry& key : entries) {
      if (std::find(kCanaryKeys.begin(), kCanaryKeys.end(), key.key) == kCanaryKeys.end()) continue;
      reader.error(key.key_node, where.prefix() + "`" + key.key +
                                     "` belongs to `strategy: canary` (add it, or drop this key)");
    }
    return;
  }
  Canary canary;
  for (const Entry& key : entries) {
    if (key.key == "steps") {
      canary.steps = read_steps(reader, key, where);
    } else if (key.key == "analysis") {
      canary.analysis = read_analysis(reader, key, where);
    } else if (key.key == "sticky") {
      read_sticky(reader, key, where, canary);
    }
  }
  reader.require(map.value, entries, {"steps"}, where);
  deploy.canary = std::move(canary);
  check_with_deploy(reader, entries, where, deploy);
}

}  // namespace turnout::pipeline::detail
