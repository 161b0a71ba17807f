#include "steps/environment.h"

#include <catch2/catch.hpp>

using namespace turnout;

TEST_CASE("only allow-listed names come from turnout's environment", "[unit][steps]") {
  std::string entries[] = {"PATH=/bin",        "HOME=/root",         "LC_ALL=C",
                           "GITHUB_SHA=abc",   "GITHUB_TOKEN=ghs_x", "TURNOUT_WEBHOOK_SECRET=x",
                           "AWS_SECRET_KEY=y", "RUNNER_TEMP=/tmp"};
  std::vector<char*> environ;
  for (auto& entry : entries) environ.push_back(entry.data());
  environ.push_back(nullptr);

  const auto env = steps::inherited_environment(environ.data());
  CHECK(env == std::map<std::string, std::string>{{"PATH", "/bin"},
                                                  {"HOME", "/root"},
                                                  {"LC_ALL", "C"},
                                                  {"GITHUB_SHA", "abc"},
                                                  {"RUNNER_TEMP", "/tmp"}});
}

TEST_CASE("TURNOUT_* variables carry the run's context", "[unit][steps]") {
  steps::RunContext context;
  context.run_id = "42";
  context.branch = "main; rm -rf /";
  context.sha = "abc";
  const auto vars = steps::turnout_variables(context);
  // Webhook data travels as a value, exactly as received, never as shell text.
  CHECK(vars.at("TURNOUT_BRANCH") == "main; rm -rf /");
  CHECK(vars.at("TURNOUT_RUN_ID") == "42");
  CHECK(vars.at("TURNOUT_SHA") == "abc");
}
