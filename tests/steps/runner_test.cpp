#include "steps/runner.h"

#include <sys/resource.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "pipeline/loader.h"
#include "steps/process_limits.h"
#include "tests/support/temp_dir.h"

using namespace turnout;
using steps::Status;

namespace {

/// Records events as short strings, and every log line.
class Recorder : public steps::RunObserver {
 public:
  std::vector<std::string> events;
  std::vector<std::string> lines;

  void stage_started(const pipeline::Stage& stage) override { events.push_back("stage " + stage.name); }
  void step_started(const pipeline::Stage&, const pipeline::Step& step) override {
    events.push_back("step " + step.name);
  }
  void log_line(const steps::LogLine& line) override { lines.emplace_back(line.text); }
  void stage_finished(const pipeline::Stage& stage, const steps::StageResult& result) override {
    events.push_back("end " + stage.name + " " + steps::to_string(result.status));
  }
};

pipeline::Pipeline load(const std::string& yaml) {
  auto loaded = pipeline::load_string(yaml, "test.yml");
  REQUIRE(loaded.ok());
  return loaded.pipeline;
}

steps::RunContext context_in(const test::TempDir& dir, std::string branch = "main") {
  steps::RunContext context;
  context.workspace = dir.path().string();
  context.branch = std::move(branch);
  context.run_id = "7";
  context.trigger = "cli";
  context.inherited_env = {{"PATH", "/usr/bin:/bin"}};
  return context;
}

struct Harness {
  test::TempDir dir;
  Recorder recorder;
  steps::CancelToken cancel;
  steps::RunnerOptions options;

  steps::RunResult run(const std::string& yaml, const std::string& branch = "main") {
    options.kill_grace = std::chrono::milliseconds(200);
    steps::Runner runner({&recorder}, cancel, options);
    return runner.run(load(yaml), context_in(dir, branch));
  }
};

}  // namespace

TEST_CASE("stages and steps run in order", "[unit][steps][runner]") {
  Harness h;
  const auto result = h.run(R"(
name: order
stages:
  - name: one
    steps:
      - { name: a, run: echo a }
      - { name: b, run: echo b }
  - name: two
    steps:
      - { name: c, run: echo c }
)");
  CHECK(result.status == Status::succeeded);
  CHECK(h.recorder.events == std::vector<std::string>{"stage one", "step a", "step b", "end one succeeded",
                                                      "stage two", "step c", "end two succeeded"});
  CHECK(h.recorder.lines == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("a failed step stops its stage and the run", "[unit][steps][runner]") {
  Harness h;
  const auto result = h.run(R"(
name: stop
stages:
  - name: build
    steps:
      - { name: fails, run: exit 3 }
      - { name: never, run: touch never }
  - name: test
    steps:
      - { name: also-never, run: touch also-never }
)");
  CHECK(result.status == Status::failed);
  REQUIRE(result.stages.size() == 2);
  CHECK(result.stages[0].status == Status::failed);
  CHECK(result.stages[0].reason == "step 'fails' exited 3");
  CHECK(result.stages[0].steps[0].exit_code == 3);
  CHECK(result.stages[0].steps[1].status == Status::skipped);
  CHECK(result.stages[1].status == Status::skipped);
  CHECK_FALSE(std::filesystem::exists(h.dir / "never"));
  CHECK_FALSE(std::filesystem::exists(h.dir / "also-never"));
}

TEST_CASE("continue_on_error lets a step or a stage fail without failing the run", "[unit][steps][runner]") {
  Harness h;
  const auto result = h.run(R"(
name: lenient
stages:
  - name: lint
    continue_on_error: true
    steps:
      - { name: strict, run: exit 1 }
  - name: build
    steps:
      - { name: flaky, run: exit 2, continue_on_error: true }
      - { name: after, run: touch after }
)");
  CHECK(result.status == Status::succeeded);
  CHECK(result.stages[0].status == Status::failed);
  CHECK(result.stages[0].allowed_failure);
  CHECK(result.stages[1].status == Status::succeeded);
  CHECK(result.stages[1].steps[0].allowed_failure);
  CHECK(std::filesystem::exists(h.dir / "after"));
}

TEST_CASE("when.branches decides which stages run", "[unit][steps][runner]") {
  const std::string yaml = R"(
name: branches
stages:
  - name: build
    steps: [{ run: "true" }]
  - name: deploy-ish
    when: { branches: [main, "release/*"] }
    steps: [{ run: touch deployed }]
)";
  SECTION("a matching branch runs it") {
    Harness h;
    CHECK(h.run(yaml, "release/2.0").stages[1].status == Status::succeeded);
    CHECK(std::filesystem::exists(h.dir / "deployed"));
  }
  SECTION("another branch skips it, with the reason") {
    Harness h;
    const auto result = h.run(yaml, "feature/x");
    CHECK(result.status == Status::succeeded);
    CHECK(result.stages[1].status == Status::skipped);
    CHECK(result.stages[1].reason == "branch 'feature/x' not in main, release/*");
    CHECK_FALSE(std::filesystem::exists(h.dir / "deployed"));
  }
  SECTION("an unknown branch skips it") {
    Harness h;
    CHECK(h.run(yaml, "").stages[1].status == Status::skipped);
  }
}

TEST_CASE("a stage filter runs only the named stages", "[unit][steps][runner]") {
  Harness h;
  h.options.only_stages = {"two"};
  const auto result = h.run(R"(
name: only
stages:
  - name: one
    steps: [{ run: touch one }]
  - name: two
    steps: [{ run: touch two }]
)");
  REQUIRE(result.stages.size() == 1);
  CHECK(result.stages[0].name == "two");
  CHECK_FALSE(std::filesystem::exists(h.dir / "one"));
  CHECK(std::filesystem::exists(h.dir / "two"));
}

TEST_CASE("env layers merge pipeline, stage, step and TURNOUT_* in that order", "[unit][steps][runner]") {
  Harness h;
  h.run(R"(
name: env
env: { A: pipeline, B: pipeline, C: pipeline }
stages:
  - name: s
    env: { B: stage, C: stage }
    steps:
      - run: echo "$A $B $C $TURNOUT_RUN_ID $TURNOUT_BRANCH $TURNOUT_TRIGGER"
        env: { C: step }
)");
  CHECK(h.recorder.lines == std::vector<std::string>{"pipeline stage step 7 main cli"});
}

TEST_CASE("secrets are masked in the output of steps", "[unit][steps][runner]") {
  Harness h;
  steps::Runner runner({&h.recorder}, h.cancel, h.options);
  auto context = context_in(h.dir);
  context.secrets = {{"TOKEN", "hunter2-s3cr3t"}};
  runner.run(load(R"(
name: secret
secrets: [TOKEN]
stages:
  - name: s
    steps:
      - run: 'echo "token=$TOKEN"; printf "%s" "$TOKEN" | rev | rev'
)"),
             context);
  CHECK(h.recorder.lines == std::vector<std::string>{"token=***", "***"});
}

TEST_CASE("a step that times out fails the stage and says so", "[unit][steps][runner]") {
  Harness h;
  const auto result = h.run(R"(
name: slow
stages:
  - name: s
    steps:
      - { name: sleepy, run: sleep 30, timeout: 300ms }
)");
  CHECK(result.status == Status::failed);
  CHECK(result.stages[0].steps[0].timed_out);
  CHECK(result.stages[0].reason == "step 'sleepy' timed out after 300ms");
}

TEST_CASE("cancelling ends the running step and skips the rest", "[unit][steps][runner]") {
  Harness h;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    h.cancel.cancel();
  });
  const auto result = h.run(R"(
name: cancel
stages:
  - name: one
    steps:
      - { name: long, run: sleep 60 }
      - { name: next, run: touch next }
  - name: two
    steps: [{ run: touch two }]
)");
  canceller.join();
  CHECK(result.status == Status::cancelled);
  CHECK(result.stages[0].status == Status::cancelled);
  CHECK(result.stages[0].steps[0].status == Status::cancelled);
  CHECK(result.stages[0].steps[1].status == Status::skipped);
  CHECK(result.stages[1].status == Status::skipped);
  CHECK(result.duration < std::chrono::seconds(30));
  CHECK_FALSE(std::filesystem::exists(h.dir / "next"));
}

TEST_CASE("a missing working_directory fails the step with the reason", "[unit][steps][runner]") {
  Harness h;
  const auto result = h.run(R"(
name: wd
stages:
  - name: s
    steps:
      - { name: in-sub, run: pwd, working_directory: sub }
)");
  CHECK(result.status == Status::failed);
  CHECK_THAT(result.stages[0].steps[0].reason, Catch::Contains("cannot start"));
}

TEST_CASE("a step and all it starts run at a lower CPU and I/O priority, as resources: says",
          "[unit][steps][runner][resources]") {
  Harness h;
  // Fields 19 and 41 of /proc/PID/stat are the nice value and the scheduling policy (5 is
  // SCHED_IDLE, 3 SCHED_BATCH, 0 SCHED_OTHER); the background job is a grandchild. The idle
  // class is SCHED_BATCH with 100 ms slices where the kernel keeps a custom slice.
  const auto result = h.run(R"yaml(
name: priorities
stages:
  - name: build
    steps:
      - name: defaults
        run: |
          sleep 5 & echo "child $(cut -d' ' -f19,41 /proc/$!/stat)"; kill $!
          echo "step $(cut -d' ' -f19,41 /proc/$$/stat)"
          ionice -p $$
          echo "slice $(sed -n 's/^se.slice *: *//p' /proc/$$/sched)"
  - name: tuned
    resources: { nice: 15, io: idle }
    steps:
      - { name: stage-wide, run: 'cut -d" " -f19 /proc/$$/stat; ionice -p $$' }
      - name: own
        resources: { nice: 3, io: normal, cpu_class: normal }
        run: 'cut -d" " -f19,41 /proc/$$/stat'
)yaml");
  INFO(result.stages[0].steps[0].reason);
  REQUIRE(result.status == Status::succeeded);
  // Added to this process's own niceness (a test run under `nice` starts higher), at most 19.
  const auto niced = [](int added) {
    return std::to_string(std::min(19, ::getpriority(PRIO_PROCESS, 0) + added));
  };
  const bool batch = steps::scheduler_traits().custom_slices;
  const std::string idle_class = batch ? " 3" : " 5";
  // Elsewhere the slice is the kernel's own (which some kernels do not show for SCHED_IDLE).
  REQUIRE(h.recorder.lines.size() == 7);
  const std::string slice = batch ? "slice 100000000" : h.recorder.lines[3];
  CHECK_THAT(slice, Catch::StartsWith("slice "));
  CHECK(h.recorder.lines == std::vector<std::string>{"child " + niced(10) + idle_class,
                                                     "step " + niced(10) + idle_class, "best-effort: prio 7",
                                                     slice, niced(15), "idle", niced(3) + " 0"});
  // What the kernel accounted for each step's processes.
  REQUIRE(result.stages[0].steps[0].usage.has_value());
  CHECK(result.stages[0].steps[0].usage->peak_memory_bytes > 0);
}

TEST_CASE("a step runs in a session of its own, whose scheduling group yields to the other sessions",
          "[unit][steps][runner][resources]") {
  // The kernel weighs sessions (autogroups) against each other before the processes within:
  // without its own session at a high nice, an idle-class build still takes a CPU from a slot,
  // which is in a session of its own. Field 6 of /proc/PID/stat is the session.
  if (!std::filesystem::exists("/proc/self/autogroup")) {
    WARN("skipped: this kernel has no autogroups (/proc/self/autogroup)");
    return;
  }
  Harness h;
  const auto result = h.run(R"yaml(
name: sessions
stages:
  - name: build
    steps:
      - name: defaults
        run: |
          sleep 5 & echo "child $(cat /proc/$!/autogroup)"; kill $!
          echo "step $(cat /proc/$$/autogroup)"
          [ "$(cut -d' ' -f6 /proc/$$/stat)" = $$ ] && echo "leads its session"
      - name: normal
        resources: { cpu_class: normal, nice: 4 }
        run: 'cut -d" " -f2- /proc/$$/autogroup'
)yaml");
  INFO(result.stages[0].steps[0].reason);
  REQUIRE(result.status == Status::succeeded);
  REQUIRE(h.recorder.lines.size() == 4);
  // "/autogroup-N nice 19", the same group for the step and its background job.
  const std::string step_group = h.recorder.lines[1].substr(5);
  CHECK_THAT(step_group, Catch::Matches("/autogroup-\\d+ nice 19"));
  CHECK(h.recorder.lines[0] == "child " + step_group);
  CHECK(h.recorder.lines[2] == "leads its session");
  CHECK(h.recorder.lines[3] == "nice 4");
  // Not this process's group: the step's is new.
  std::ifstream own("/proc/self/autogroup");
  std::string own_group;
  std::getline(own, own_group);
  CHECK(own_group.substr(0, own_group.find(' ')) != step_group.substr(0, step_group.find(' ')));
}

TEST_CASE("a step over its memory limit fails saying so, and leaves no process",
          "[unit][steps][runner][resources]") {
  Harness h;
  const auto result = h.run(R"yaml(
name: memory
stages:
  - name: build
    resources: { memory: 64M }
    steps:
      - name: greedy
        run: |
          echo $$ > pid
          big=$(head -c 300000000 /dev/zero | tr '\0' x)
          echo "never: ${#big}"
)yaml");
  REQUIRE(result.stages.size() == 1);
  const auto& step = result.stages[0].steps[0];
  INFO(step.reason);
  CHECK(step.status == Status::failed);
  CHECK_THAT(step.reason, Catch::StartsWith("out of memory (limit 64M): "));
  for (const auto& line : h.recorder.lines) CHECK_THAT(line, !Catch::StartsWith("never"));
  const auto pid = std::stoi(turnout::test::read_file(h.dir / "pid"));
  CHECK(::kill(pid, 0) != 0);
}

TEST_CASE("without a run's group a step's pressure is the machine's, labelled so, without PSI, none",
          "[unit][steps][runner][pressure]") {
  Harness h;
  const auto result = h.run(R"yaml(
name: pressure
stages:
  - name: build
    steps:
      - { name: quick, run: 'true' }
)yaml");
  REQUIRE(result.status == Status::succeeded);
  const auto& pressure = result.stages[0].steps[0].pressure;
  if (!std::filesystem::exists("/proc/pressure/cpu")) {
    CHECK_FALSE(pressure.has_value());  // absent, not zero
    WARN("skipped the figures: no /proc/pressure here (a kernel without PSI)");
    return;
  }
  REQUIRE(pressure.has_value());
  CHECK(pressure->source == turnout::util::PressureScope::machine);
}

TEST_CASE("a step busier than the machine's cores records a CPU stall from /proc/pressure",
          "[integration][steps][runner][pressure][slow]") {
  if (!std::filesystem::exists("/proc/pressure/cpu")) {
    WARN("skipped: no /proc/pressure here (a kernel without PSI)");
    return;
  }
  Harness h;
  // One busy loop more than there are cores it may use, for a second: one always waits for a CPU.
  const auto result = h.run(R"yaml(
name: busy
stages:
  - name: build
    steps:
      - name: burn
        run: |
          for i in $(seq $(( $(nproc) + 1 ))); do timeout 1 sh -c 'while :; do :; done' & done
          wait
)yaml");
  REQUIRE(result.status == Status::succeeded);
  const auto& pressure = result.stages[0].steps[0].pressure;
  REQUIRE(pressure.has_value());
  CHECK(pressure->source == turnout::util::PressureScope::machine);
  CHECK(pressure->stall.cpu_some_us > 0u);
}
