#include <catch2/catch.hpp>
#include <fstream>

#include "tests/support/command.h"
#include "tests/support/temp_dir.h"
#include "util/process_identity.h"

using namespace turnout::test;

namespace {

const char* kPipeline = R"(
name: demo
env: { WHO: world }
stages:
  - name: build
    steps:
      - name: hello
        run: echo "hello $WHO" && touch built
  - name: test
    steps:
      - name: check
        run: test -f built
  - name: release
    when: { branches: [main] }
    steps:
      - run: touch released
)";

/// The environment of a run whose state lives in the test's own folder.
std::map<std::string, std::string> data_env(const TempDir& dir) {
  return {{"TURNOUT_DATA_DIR", (dir / "data").string()}};
}

// A zombie has ended too: PID 1 here may never reap it.
bool process_gone(const std::string& pid) { return !turnout::util::identify(std::stoi(pid)); }

}  // namespace

TEST_CASE("run --dir runs the pipeline and prints headers and a summary", "[integration][cli]") {
  TempDir dir;
  dir.write(".turnout.yml", kPipeline);
  const auto result =
      run_turnout({"run", "--dir", dir.path().string(), "--branch", "main"}, "", data_env(dir));
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("▶ build"));
  CHECK_THAT(result.out, Catch::Contains("    hello world"));
  CHECK_THAT(result.out, Catch::Contains("✓ hello"));
  CHECK_THAT(result.out, Catch::Contains("succeeded in"));
  CHECK(std::filesystem::exists(dir / "released"));
  CHECK(result.out.find("\x1b[") == std::string::npos);  // not a terminal: no colour
}

TEST_CASE("run takes the branch from the git checkout", "[integration][cli]") {
  TempDir dir;
  dir.write(".turnout.yml", kPipeline);
  REQUIRE(run_command({"git", "init", "-q", "-b", "feature", dir.path().string()}).exit_code == 0);
  const auto result = run_turnout({"run", "--dir", dir.path().string()}, "", data_env(dir));
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("release skipped: branch 'feature' not in main"));
  CHECK_FALSE(std::filesystem::exists(dir / "released"));
}

TEST_CASE("a failing step makes run exit 1", "[integration][cli]") {
  TempDir dir;
  dir.write(".turnout.yml", "name: f\nstages:\n  - name: s\n    steps: [{ name: boom, run: exit 4 }]\n");
  const auto result = run_turnout({"run", "--dir", dir.path().string()}, "", data_env(dir));
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out, Catch::Contains("✗ boom exited 4"));
  CHECK_THAT(result.out, Catch::Contains("failed in"));
}

TEST_CASE("bad command lines get one line, exit 2, and nothing runs", "[integration][cli]") {
  TempDir dir;
  dir.write(".turnout.yml", kPipeline);
  const std::string path = dir.path().string();

  SECTION("an unknown stage, with the nearest one") {
    const auto result = run_turnout({"run", "--dir", path, "--stage", "tset"}, "", data_env(dir));
    CHECK(result.exit_code == 2);
    CHECK(result.err ==
          "turnout run: unknown stage 'tset' (did you mean 'test'?); the pipeline has: build, "
          "test, release\n");
  }
  SECTION("an unknown flag, with the nearest one") {
    const auto result = run_turnout({"run", "--dir", path, "--stgae", "test"}, "", data_env(dir));
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err,
               Catch::StartsWith("turnout run: unknown option '--stgae' (did you mean '--stage'?)"));
  }
  SECTION("an unknown command, with the nearest one") {
    const auto result = run_turnout({"rnu"});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::StartsWith("turnout: unknown command 'rnu' (did you mean 'run'?)"));
  }
  SECTION("a missing pipeline file") {
    const auto result = run_turnout({"run", "--dir", path, "--pipeline", "missing.yml"}, "", data_env(dir));
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("missing.yml"));
  }
  SECTION("a missing --dir") {
    const auto result = run_turnout({"run", "--dir", path + "/nope"}, "", data_env(dir));
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("no such directory"));
  }
  SECTION("a pipeline with a YAML syntax error") {
    dir.write("broken.yml", "name: [unclosed\n");
    const auto result = run_turnout({"run", "--dir", path, "--pipeline", "broken.yml"}, "", data_env(dir));
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("broken.yml:"));
  }
  SECTION("run that is not a string") {
    dir.write("map.yml", "name: m\nstages:\n  - name: s\n    steps:\n      - run: { a: b }\n");
    const auto result = run_turnout({"run", "--dir", path, "--pipeline", "map.yml"}, "", data_env(dir));
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("map.yml:5:"));
  }
  SECTION("a step with no run") {
    dir.write("norun.yml", "name: m\nstages:\n  - name: s\n    steps:\n      - name: lonely\n");
    const auto result = run_turnout({"run", "--dir", path, "--pipeline", "norun.yml"}, "", data_env(dir));
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("norun.yml:5:"));
  }
  SECTION("a secret that is not set") {
    dir.write(
        "secret.yml",
        "name: m\nsecrets: [DEMO_UNSET_SECRET]\nstages:\n  - name: s\n    steps: [{ run: touch ran }]\n");
    const auto result = run_turnout({"run", "--dir", path, "--pipeline", "secret.yml"}, "", data_env(dir));
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("secret 'DEMO_UNSET_SECRET'"));
    CHECK_THAT(result.err, Catch::Contains("is not set in turnout's environment; export it and run again"));
  }
  CHECK_FALSE(std::filesystem::exists(dir / "built"));
  CHECK_FALSE(std::filesystem::exists(dir / "ran"));
}

TEST_CASE("secrets from turnout's environment are masked in run output", "[integration][cli]") {
  TempDir dir;
  dir.write(
      ".turnout.yml",
      "name: m\nsecrets: [DEPLOY_KEY]\nstages:\n  - name: s\n    steps: [{ run: 'echo key=$DEPLOY_KEY' }]\n");
  auto env = data_env(dir);
  env["DEPLOY_KEY"] = "sup3r-s3cret";
  const auto result = run_turnout({"run", "--dir", dir.path().string()}, "", env);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("key=***"));
  CHECK(result.out.find("sup3r-s3cret") == std::string::npos);
  const std::string log = read_file(dir / "data/runs/1/log");
  CHECK_THAT(log, Catch::Contains(" out key=***"));
  CHECK(log.find("sup3r-s3cret") == std::string::npos);
}

TEST_CASE("SIGTERM cancels the run: exit 130 and the step's whole group is gone", "[integration][cli]") {
  TempDir dir;
  dir.write(".turnout.yml", R"(
name: cancel
stages:
  - name: s
    steps:
      - run: 'sleep 1000 & echo $! > sleeper.pid; wait'
)");
  const std::string script = "'" TURNOUT_BINARY
                             "' run --dir . & pid=$!; "
                             "for i in $(seq 100); do [ -s sleeper.pid ] && break; sleep 0.1; done; "
                             "kill -TERM $pid; wait $pid; echo exit=$?";
  const auto result = run_command({"bash", "-c", script}, dir.path().string(), data_env(dir));
  CHECK_THAT(result.out, Catch::Contains("exit=130"));
  CHECK_THAT(result.out, Catch::Contains("cancelled"));
  const std::string sleeper = read_file(dir / "sleeper.pid");
  REQUIRE_FALSE(sleeper.empty());
  CHECK(process_gone(sleeper.substr(0, sleeper.find('\n'))));
}
