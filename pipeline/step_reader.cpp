#include "pipeline/step_reader.h"

#include <algorithm>
#include <utility>

#include "pipeline/environment.h"
#include "pipeline/resources_reader.h"
#include "util/utf8.h"

namespace turnout::pipeline::detail {

namespace {

const std::vector<std::string> kStepKeys = {
    "name", "run", "env", "timeout", "working_directory", "continue_on_error", "resources"};
constexpr std::size_t kMaxDerivedName = 60;

/// A step as read, with where its name came from, to report a repeated name there.
struct ReadStep {
  Step step;
  YAML::Mark name_mark;  ///< of `name:` or, for a derived name, of `run:`
  bool derived = false;  ///< the name was derived from `run`
};

void read_working_directory(YamlReader& reader, const Entry& entry, const Where& where, Step& step) {
  const auto path = reader.text(entry, where);
  if (!path) return;
  if (const auto problem = relative_path_problem(*path)) {
    reader.error(entry.value, where.prefix() + *problem);
    return;
  }
  step.working_directory = *path;
}

void read_step_key(YamlReader& reader, const Entry& entry, const Where& where, ReadStep& out) {
  Step& step = out.step;
  if (entry.key == "name") {
    if (auto name = reader.text(entry, where)) step.name = std::move(*name);
    out.name_mark = entry.key_node.Mark();
  } else if (entry.key == "run") {
    if (auto run = reader.command(entry, where)) step.run = std::move(*run);
  } else if (entry.key == "env") {
    step.env = read_env(reader, entry, where);
  } else if (entry.key == "timeout") {
    step.timeout = reader.positive_duration(entry, where);
  } else if (entry.key == "working_directory") {
    read_working_directory(reader, entry, where, step);
  } else if (entry.key == "continue_on_error") {
    step.continue_on_error = reader.boolean(entry, where).value_or(false);
  } else if (entry.key == "resources") {
    step.resources = read_resources(reader, entry, where);
  }
}

std::optional<ReadStep> read_step(YamlReader& reader, const YAML::Node& node, const YAML::Node& list,
                                  const Where& where) {
  if (!node.IsMap()) {
    reader.error(node.IsNull() ? list : node,
                 where.owner + ": " + where.part + " must be a mapping with at least `run`");
    return std::nullopt;
  }
  ReadStep out;
  out.step.position = position_of(node);
  const auto entries = reader.entries(node, kStepKeys, where);
  reader.require(node, entries, {"run"}, where);
  for (const Entry& entry : entries) read_step_key(reader, entry, where, out);
  if (out.step.name.empty() && !out.step.run.empty()) {
    out.step.name = derived_step_name(out.step.run);
    out.derived = true;
    for (const Entry& entry : entries) {
      if (entry.key == "run") out.name_mark = entry.key_node.Mark();
    }
  }
  return out;
}

void check_unique(YamlReader& reader, const ReadStep& read, const Where& stage, FirstSeen& seen) {
  if (read.step.name.empty()) return;
  const auto first = seen.add(read.step.name, read.name_mark.line + 1);
  if (!first) return;
  const std::string hint = read.derived ? " (named after its `run`; give it a `name`)" : "";
  reader.error(read.name_mark, stage.prefix() + "duplicate step name '" + read.step.name +
                                   "' (first at line " + std::to_string(*first) + ")" + hint);
}

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return std::string();
  const auto end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

}  // namespace

std::vector<Step> read_steps(YamlReader& reader, const Entry& entry, const Where& stage) {
  std::vector<Step> steps;
  if (!reader.expect_list(entry, stage)) return steps;
  if (entry.value.size() == 0) {
    reader.error(entry.value, stage.part + " has no steps");
    return steps;
  }
  FirstSeen seen;
  int index = 0;
  for (const auto& node : entry.value) {
    const Where where{"step " + std::to_string(++index), stage.part};
    auto read = read_step(reader, node, entry.value, where);
    if (!read) continue;
    check_unique(reader, *read, stage, seen);
    steps.push_back(std::move(read->step));
  }
  return steps;
}

std::string derived_step_name(const std::string& run) {
  std::string line;
  std::size_t start = 0;
  while (start <= run.size() && line.empty()) {
    const auto end = std::min(run.find('\n', start), run.size());
    line = trim(run.substr(start, end - start));
    start = end + 1;
  }
  // Cut at a character boundary, never inside a UTF-8 sequence.
  const auto cut = util::characters_prefix(line, kMaxDerivedName);
  return cut < line.size() ? trim(line.substr(0, cut)) : line;
}

std::optional<std::string> relative_path_problem(const std::string& path) {
  if (!path.empty() && path.front() == '/')
    return "`working_directory` must be relative to the workspace (got '" + path + "')";
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    if (path.compare(start, end - start, "..") == 0) {
      return "`working_directory` must stay inside the workspace (no '..' in '" + path + "')";
    }
    start = end + 1;
  }
  return std::nullopt;
}

}  // namespace turnout::pipeline::detail
