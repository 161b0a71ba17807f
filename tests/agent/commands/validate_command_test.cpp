#include <catch2/catch.hpp>

#include "tests/support/command.h"
#include "tests/support/temp_dir.h"

using namespace turnout::test;

TEST_CASE("validate summarises a good pipeline", "[integration][cli]") {
  TempDir dir;
  const auto file = dir.write(".turnout.yml", R"(
name: ok
stages:
  - name: build
    steps: [{ run: make }, { run: make install }]
  - name: test
    steps: [{ run: make check }]
)");
  const auto result = run_turnout({"validate", file.string()});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "ok: 2 stages, 3 steps\n");
}

TEST_CASE("validate defaults to .turnout.yml in the current folder", "[integration][cli]") {
  TempDir dir;
  dir.write(".turnout.yml", "name: x\nstages:\n  - name: s\n    steps: [{ run: 'true' }]\n");
  const auto result = run_turnout({"validate"}, dir.path().string());
  CHECK(result.exit_code == 0);
  CHECK(result.out == "ok: 1 stage, 1 step\n");
}

TEST_CASE("validate prints every error as FILE:LINE:COLUMN and exits 2", "[integration][cli]") {
  TempDir dir;
  const auto file = dir.write("bad.yml", R"(name: bad
stages:
  - name: build
    stpes:
      - run: make
)");
  const auto result = run_turnout({"validate", file.string()});
  CHECK(result.exit_code == 2);
  CHECK(result.out.empty());
  CHECK_THAT(result.err, Catch::Contains(file.string() + ":4:5: unknown key 'stpes' in stage 'build'"));
  CHECK_THAT(result.err, Catch::Contains("did you mean 'steps'?"));
}

TEST_CASE("validate of a missing file is one line and exit 2", "[integration][cli]") {
  TempDir dir;
  const auto result = run_turnout({"validate", (dir / "nope.yml").string()});
  CHECK(result.exit_code == 2);
  CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  CHECK_THAT(result.err, Catch::Contains("nope.yml"));
}
