#include "pipeline/stage_reader.h"
#include "pipeline/resources_reader.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "pipeline/deploy_reader.h"
#include "pipeline/environment.h"
#include "pipeline/step_reader.h"

namespace turnout::pipeline::detail {

namespace {

const std::vector<std::string> kStageKeys = {
    "name", "steps", "deploy", "env", "when", "continue_on_error", "resources"};

/// A stage as read, with the position of its `name:` key to report a repeated name there.
struct ReadStage {
  Stage stage;
  YAML::Mark name_mark;
};

const Entry* find(const std::vector<Entry>& entries, const std::string& key) {
  const auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.key == key; });
  return it == entries.end() ? nullptr : &*it;
}

// Messages inside a stage name it by its `name:` when it has a usable one, by number otherwise.
std::string stage_label(const YAML::Node& node, int index) {
  for (const auto& pair : node) {
    const bool is_name = pair.first.IsScalar() && pair.first.Scalar() == "name";
    if (is_name && pair.second.IsScalar() && !pair.second.Scalar().empty()) {
      return "stage '" + pair.second.Scalar() + "'";
    }
  }
  return "stage " + std::to_string(index);
}

void read_stage_key(YamlReader& reader, const Entry& entry, const Where& where, ReadStage& out) {
  Stage& stage = out.stage;
  if (entry.key == "name") {
    if (auto name = reader.text(entry, where)) stage.name = std::move(*name);
    out.name_mark = entry.key_node.Mark();
  } else if (entry.key == "steps") {
    stage.steps = read_steps(reader, entry, where);
  } else if (entry.key == "deploy") {
    stage.deploy = read_deploy(reader, entry, where);
  } else if (entry.key == "env") {
    stage.env = read_env(reader, entry, where);
  } else if (entry.key == "when") {
    stage.when.branches = read_branch_filter(reader, entry, Where{"`when`", where.part});
  } else if (entry.key == "continue_on_error") {
    stage.continue_on_error = reader.boolean(entry, where).value_or(false);
  } else if (entry.key == "resources") {
    stage.resources = read_resources(reader, entry, where);
  }
}

// A stage does one thing: run its steps, or deploy.
void check_work(YamlReader& reader, const YAML::Node& node, const std::vector<Entry>& entries,
                const Where& where) {
  const Entry* steps = find(entries, "steps");
  const Entry* deploy = find(entries, "deploy");
  if (steps && deploy) {
    const Entry* later = steps->key_node.Mark().pos > deploy->key_node.Mark().pos ? steps : deploy;
    reader.error(later->key_node, where.prefix() + "a stage has either `steps` or `deploy`, not both");
  } else if (!steps && !deploy && !reader.was_misspelt(node, "steps") &&
             !reader.was_misspelt(node, "deploy")) {
    reader.error(node, where.part + " has no steps (give it `steps` or a `deploy`)");
  }
}

std::optional<ReadStage> read_stage(YamlReader& reader, const YAML::Node& node, const YAML::Node& list,
                                    int index) {
  if (!node.IsMap()) {
    reader.error(node.IsNull() ? list : node,
                 "stage " + std::to_string(index) + " must be a mapping with `name` and `steps` or `deploy`");
    return std::nullopt;
  }
  ReadStage out;
  out.stage.position = position_of(node);
  const Where where{stage_label(node, index), ""};
  const auto entries = reader.entries(node, kStageKeys, where);
  reader.require(node, entries, {"name"}, where);
  for (const Entry& entry : entries) read_stage_key(reader, entry, where, out);
  check_work(reader, node, entries, where);
  return out;
}

}  // namespace

std::vector<Stage> read_stages(YamlReader& reader, const Entry& entry) {
  std::vector<Stage> stages;
  if (!reader.expect_list(entry, Where{})) return stages;
  if (entry.value.size() == 0) {
    reader.error(entry.value, "`stages` must not be empty");
    return stages;
  }
  FirstSeen seen;
  int index = 0;
  for (const auto& node : entry.value) {
    auto read = read_stage(reader, node, entry.value, ++index);
    if (!read) continue;
    const std::string& name = read->stage.name;
    const auto first = name.empty() ? std::optional<int>() : seen.add(name, read->name_mark.line + 1);
    if (first) {
      reader.error(read->name_mark,
                   "duplicate stage name '" + name + "' (first at line " + std::to_string(*first) + ")");
    }
    stages.push_back(std::move(read->stage));
  }
  return stages;
}

std::vector<std::string> read_branch_filter(YamlReader& reader, const Entry& entry, const Where& where) {
  // The filter itself is named by what holds it: the stage for `when`, the pipeline for `on`.
  const Where holder = where.owner.empty() ? Where{} : Where{where.owner, ""};
  if (!reader.expect_map(entry, holder)) return {};
  std::vector<std::string> branches;
  for (const Entry& key : reader.entries(entry.value, {"branches"}, where)) {
    if (auto list = reader.text_list(key, where)) branches = std::move(*list);
  }
  return branches;
}

}  // namespace turnout::pipeline::detail
