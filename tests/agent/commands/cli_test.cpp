// `turnout`'s command line through the real binary: what a typo or a missing word is told.
#include <catch2/catch.hpp>

#include "tests/support/command.h"

using namespace turnout::test;

TEST_CASE("cli: a typo'd subcommand of deploy gets the nearest one", "[integration][cli]") {
  for (const auto& [typed, meant] : {std::pair{"statsu", "status"}, std::pair{"rollbak", "rollback"}}) {
    const auto result = run_turnout({"deploy", typed});
    INFO(result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err == std::string("turnout deploy: unknown subcommand '") + typed + "' (did you mean '" +
                            meant + "'?); subcommands: status, rollback, switch, bootup\n");
  }
  const auto bare = run_turnout({"deploy"});
  CHECK(bare.exit_code == 2);
  CHECK(bare.err == "turnout deploy: a subcommand is required: status, rollback, switch, bootup\n");
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
