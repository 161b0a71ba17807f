// `turnout`'s command line through the real binary: what a typo or a missing word is told.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/command.h"

using namespace turnout::test;

namespace {

// The lines of `text` that list a command's subcommands or options in CLI11's help: the first
// word of each indented line after `heading`, up to the next heading.
std::vector<std::string> help_entries(const std::string& text, const std::string& heading) {
  std::vector<std::string> entries;
  std::istringstream lines(text);
  std::string line;
  bool inside = false;
  while (std::getline(lines, line)) {
    if (line.rfind(heading, 0) == 0) {
      inside = true;
    } else if (!line.empty() && line[0] != ' ') {
      inside = false;
    } else if (inside && line.size() > 2 && line[2] != ' ') {
      entries.push_back(line.substr(2, line.find(' ', 2) - 2));
    }
  }
  return entries;
}

// The option names of a command's --help (`-f`, `--follow`, ...), --help itself left out.
std::vector<std::string> help_options(const std::vector<std::string>& command) {
  auto args = command;
  args.push_back("--help");
  const auto help = run_turnout(args);
  REQUIRE(help.exit_code == 0);
  std::vector<std::string> names;
  for (const auto& entry : help_entries(help.out, "Options:")) {
    std::istringstream parts(entry);
    std::string name;
    while (std::getline(parts, name, ',')) {
      name = name.substr(0, name.find('='));
      if (name != "-h" && name != "--help") names.push_back(name);
    }
  }
  return names;
}

// The first cell of the row for `turnout COMMAND` in the README's "CLI and HTTP API reference"
// table; "" when none.
std::string readme_row(const std::string& command) {
  std::ifstream file(std::string(TURNOUT_SOURCE_DIR) + "/README.md");
  std::string line;
  while (std::getline(file, line) && line != "## CLI and HTTP API reference") {
  }
  const std::string start = "| `turnout " + command;
  while (std::getline(file, line) && line.rfind("## ", 0) != 0) {
    if (line.rfind(start, 0) != 0) continue;
    const char next = line.size() > start.size() ? line[start.size()] : ' ';
    if (next == ' ' || next == '`') return line.substr(0, line.find(" | ", 2));
  }
  return "";
}

}  // namespace

TEST_CASE("cli: the README's CLI reference names every subcommand and option --help prints",
          "[integration][cli]") {
  const auto top = run_turnout({"--help"});
  REQUIRE(top.exit_code == 0);
  const auto commands = help_entries(top.out, "Subcommands:");
  REQUIRE(commands.size() >= 9);
  for (const auto& command : commands) {
    const auto row = readme_row(command);
    INFO("turnout " << command << ": " << row);
    REQUIRE_FALSE(row.empty());
    const auto nested = run_turnout({command, "--help"});
    const auto subcommands = help_entries(nested.out, "Subcommands:");
    std::vector<std::vector<std::string>> each;
    for (const auto& subcommand : subcommands) {
      CHECK_THAT(row, Catch::Contains(subcommand));
      each.push_back({command, subcommand});
    }
    if (subcommands.empty()) each.push_back({command});
    for (const auto& args : each) {
      for (const auto& option : help_options(args)) {
        INFO(option);
        CHECK_THAT(row, Catch::Contains(option));
      }
    }
  }
}

TEST_CASE("cli: a typo'd subcommand of deploy gets the nearest one", "[integration][cli]") {
  for (const auto& [typed, meant] : {std::pair{"statsu", "status"}, std::pair{"rollbak", "rollback"}}) {
    const auto result = run_turnout({"deploy", typed});
    INFO(result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err == std::string("turnout deploy: unknown subcommand '") + typed + "' (did you mean '" +
                            meant + "'?); subcommands: status, rollback, switch, bootup, promote, abort\n");
  }
  const auto bare = run_turnout({"deploy"});
  CHECK(bare.exit_code == 2);
  CHECK(bare.err ==
        "turnout deploy: a subcommand is required: status, rollback, switch, bootup, promote, abort\n");
}

TEST_CASE("cli: bare turnout says a command is needed, without a stray space", "[integration][cli]") {
  const auto result = run_turnout({});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::StartsWith("turnout: a command is required: serve, run, "));
  CHECK_THAT(result.err, !Catch::Contains("turnout :"));
}

TEST_CASE("cli: a missing option of a nested subcommand names the whole command", "[integration][cli]") {
  const auto result = run_turnout({"deploy", "rollback"});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::StartsWith("turnout deploy rollback: --app is required"));
  CHECK_THAT(result.err, Catch::Contains("see 'turnout deploy rollback --help'"));
}
