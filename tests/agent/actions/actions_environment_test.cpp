#include "agent/actions/actions_environment.h"

#include <catch2/catch.hpp>
#include <map>

#include "tests/support/temp_dir.h"

using namespace turnout::agent::actions;
using turnout::test::TempDir;

namespace {

Getenv from(const std::map<std::string, std::string>& vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    const auto found = vars.find(name);
    if (found == vars.end()) return std::nullopt;
    return found->second;
  };
}

std::map<std::string, std::string> runner_vars(const TempDir& dir) {
  return {{"GITHUB_ACTIONS", "true"},
          {"GITHUB_WORKSPACE", dir.path().string()},
          {"GITHUB_SHA", std::string(40, 'a')},
          {"GITHUB_REF", "refs/heads/main"},
          {"GITHUB_REF_NAME", "main"},
          {"GITHUB_REPOSITORY", "acme/app"},
          {"GITHUB_OUTPUT", (dir / "output").string()},
          {"GITHUB_STEP_SUMMARY", (dir / "summary").string()}};
}

}  // namespace

TEST_CASE("GITHUB_ACTIONS=true, and only that, means a runner", "[unit][actions]") {
  CHECK(running_under_actions(from({{"GITHUB_ACTIONS", "true"}})));
  CHECK_FALSE(running_under_actions(from({{"GITHUB_ACTIONS", "false"}})));
  CHECK_FALSE(running_under_actions(from({})));
}

TEST_CASE("the runner's variables are read into the struct", "[unit][actions]") {
  TempDir dir;
  const auto env = read_actions_environment(from(runner_vars(dir)));
  REQUIRE(env);
  CHECK(env.value().workspace == dir.path().string());
  CHECK(env.value().sha == std::string(40, 'a'));
  CHECK(env.value().branch == "main");
  CHECK(env.value().ref == "refs/heads/main");
  CHECK(env.value().repository == "acme/app");
  CHECK(env.value().output_file == (dir / "output").string());
  CHECK(env.value().summary_file == (dir / "summary").string());
}

TEST_CASE("a missing or wrong variable is one error that names it", "[unit][actions]") {
  TempDir dir;
  auto vars = runner_vars(dir);
  SECTION("each required one") {
    for (const char* name :
         {"GITHUB_WORKSPACE", "GITHUB_SHA", "GITHUB_REF_NAME", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"}) {
      auto without = vars;
      without.erase(name);
      const auto env = read_actions_environment(from(without));
      REQUIRE_FALSE(env);
      CHECK_THAT(env.error().message, Catch::StartsWith(std::string(name) + " is not set"));
      CHECK(env.error().message.find('\n') == std::string::npos);
    }
  }
  SECTION("a workspace that is not a folder") {
    vars["GITHUB_WORKSPACE"] = (dir / "missing").string();
    const auto env = read_actions_environment(from(vars));
    REQUIRE_FALSE(env);
    CHECK_THAT(env.error().message, Catch::Contains("actions/checkout"));
  }
  SECTION("a short sha") {
    vars["GITHUB_SHA"] = "abc123";
    const auto env = read_actions_environment(from(vars));
    REQUIRE_FALSE(env);
    CHECK_THAT(env.error().message, Catch::Contains("GITHUB_SHA 'abc123'"));
  }
}
