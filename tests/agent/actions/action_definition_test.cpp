// The composite action (.github/actions/turnout/action.yml), turnout's own CI workflow and the
// example deploy workflow: every flag they hand to `turnout run` is one it accepts, inputs never
// reach a shell as code, and actions are pinned by commit.
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "tests/support/command.h"
#include "tests/support/temp_dir.h"

using namespace turnout::test;

namespace {

std::filesystem::path source(const std::string& relative) {
  return std::filesystem::path(TURNOUT_SOURCE_DIR) / relative;
}

const char* kAction = ".github/actions/turnout/action.yml";
const char* kWorkflows[] = {".github/workflows/ci.yml", "examples/github-actions/deploy.yml"};

std::set<std::string> flags_in(const std::string& text) {
  static const std::regex flag(R"((^|[\s"'=(])(--[a-z][a-z0-9-]*))");
  std::set<std::string> found;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), flag); it != std::sregex_iterator(); ++it) {
    found.insert((*it)[2]);
  }
  return found;
}

// True when `help` lists `flag` as an option (not merely as the prefix of a longer one).
bool lists_option(const std::string& help, const std::string& flag) {
  return std::regex_search(help, std::regex("(^|\\s)" + flag + "([\\s,=]|$)"));
}

YAML::Node load(const std::string& relative) { return YAML::LoadFile(source(relative).string()); }

std::vector<YAML::Node> steps_of(const YAML::Node& workflow) {
  std::vector<YAML::Node> steps;
  for (const auto& job : workflow["jobs"]) {
    for (const auto& step : job.second["steps"]) steps.push_back(step);
  }
  return steps;
}

}  // namespace

TEST_CASE("every flag the action and the workflows pass to turnout run is one it accepts",
          "[unit][actions]") {
  const auto action = load(kAction);
  REQUIRE(action["runs"]["using"].as<std::string>() == "composite");
  std::set<std::string> flags;
  for (const auto& step : action["runs"]["steps"]) flags.merge(flags_in(step["run"].as<std::string>("")));
  for (const char* workflow : kWorkflows) {
    for (const auto& step : steps_of(load(workflow))) {
      const std::string uses = step["uses"].as<std::string>("");
      if (uses.find("/.github/actions/turnout@") != std::string::npos ||
          uses == "./.github/actions/turnout") {
        flags.merge(flags_in(step["with"]["args"].as<std::string>("")));
      }
    }
  }
  CHECK(flags.count("--pipeline") == 1);
  CHECK(flags.count("--stage") == 1);
  CHECK(flags.count("--data-dir") == 1);
  CHECK(flags.count("--branch") == 1);  // from the example's args

  const auto help = run_turnout({"run", "--help"});
  REQUIRE(help.exit_code == 0);
  for (const auto& flag : flags) {
    INFO(flag);
    CHECK(lists_option(help.out, flag));
  }
  CHECK_FALSE(lists_option(help.out, "--no-such-flag"));  // the check itself can fail
}

TEST_CASE("the action passes inputs through env, never pasted into its script, and maps the outputs",
          "[unit][actions]") {
  const auto action = load(kAction);
  const auto step = action["runs"]["steps"][0];
  REQUIRE(step["id"].as<std::string>() == "run");
  const std::string script = step["run"].as<std::string>();
  CHECK(script.find("${{") == std::string::npos);
  std::set<std::string> passed;
  for (const auto& entry : step["env"]) passed.insert(entry.second.as<std::string>());
  for (const auto& input : action["inputs"]) {
    const std::string name = input.first.as<std::string>();
    INFO(name);
    CHECK(passed.count("${{ inputs." + name + " }}") == 1);
  }
  CHECK(action["inputs"].size() == 4);
  for (const char* output : {"run_id", "result", "deployed_sha", "live_slot"}) {
    INFO(output);
    CHECK(action["outputs"][output]["value"].as<std::string>("") ==
          std::string("${{ steps.run.outputs.") + output + " }}");
  }
}

TEST_CASE("workflows grant no permissions, pin every action by commit, and keep no credentials",
          "[unit][actions]") {
  static const std::regex pinned(R"(^\s*(-\s+)?uses:\s+[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s*\S+)");
  for (const char* path : kWorkflows) {
    INFO(path);
    const auto workflow = load(path);
    CHECK(workflow["permissions"].IsMap());
    CHECK(workflow["permissions"].size() == 0);
    std::istringstream lines(read_file(source(path)));
    int uses = 0;
    for (std::string line; std::getline(lines, line);) {
      if (line.find("uses:") == std::string::npos) continue;
      ++uses;
      INFO(line);
      CHECK(std::regex_search(line, pinned));
    }
    CHECK(uses > 0);
    for (const auto& step : steps_of(workflow)) {
      if (step["uses"].as<std::string>("").rfind("actions/checkout@", 0) != 0) continue;
      CHECK(step["with"]["persist-credentials"].as<std::string>("") == "false");
    }
  }
  const auto ci = steps_of(load(kWorkflows[0]));
  CHECK(std::any_of(ci.begin(), ci.end(), [](const YAML::Node& step) {
    return step["run"].as<std::string>("") == "scripts/test";
  }));
  const auto example = load(kWorkflows[1]);
  CHECK(example["jobs"]["deploy"]["runs-on"].as<std::string>() == "self-hosted");
  CHECK(example["on"]["push"]["branches"][0].as<std::string>() == "main");
  CHECK_FALSE(std::regex_search(std::string("      - uses: actions/checkout@v4"), pinned));
}
