// A run's cgroup v2 group: the files a step's limits become, and a run whose steps join the
// group. The "fake tree" tests use a temp directory laid out like a cgroup2 mount (what files get
// written, and that the step's process writes itself into cgroup.procs); the [cgroup] test needs
// a real delegated cgroup v2 tree and is skipped, saying so, where there is none.
#include "steps/run_cgroup.h"

#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>

#include "pipeline/loader.h"
#include "steps/deploy/slot_process.h"
#include "steps/process_limits.h"
#include "steps/runner.h"
#include "tests/support/pressure_files.h"
#include "tests/support/temp_dir.h"
#include "util/process_identity.h"

using namespace turnout;
using steps::Status;

namespace {

class Lines : public steps::RunObserver {
 public:
  std::vector<std::string> lines;
  void log_line(const steps::LogLine& line) override { lines.emplace_back(line.text); }
};

steps::RunResult run_in(const test::TempDir& workspace, steps::RunCgroup* group, Lines& lines,
                        const std::string& yaml, const std::map<std::string, std::string>& env = {}) {
  auto loaded = pipeline::load_string(yaml, "test.yml");
  REQUIRE(loaded.ok());
  steps::RunContext context;
  context.workspace = workspace.path().string();
  context.run_id = "7";
  context.inherited_env = {{"PATH", "/usr/bin:/bin"}};
  context.inherited_env.insert(env.begin(), env.end());
  steps::CancelToken cancel;
  steps::RunnerOptions options;
  options.kill_grace = std::chrono::milliseconds(200);
  options.cgroup = group;
  return steps::Runner({&lines}, cancel, options).run(loaded.pipeline, context);
}

// Lays `fake` out like a cgroup2 mount (mnt/) whose group turnout.service is delegated to this
// process, and prepares isolation in it as turnout does at start.
steps::CgroupIsolation fake_delegated_tree(const test::TempDir& fake) {
  fake.write("mountinfo", "35 24 0:30 / " + (fake / "mnt").string() + " rw - cgroup2 cgroup2 rw\n");
  fake.write("cgroup", "0::/turnout.service\n");
  fake.write("mnt/turnout.service/cgroup.controllers", "cpu memory pids\n");
  fake.write("mnt/turnout.service/cgroup.procs", "");
  fake.write("mnt/turnout.service/cgroup.subtree_control", "");
  return steps::prepare_cgroup_isolation({(fake / "mountinfo").string(), (fake / "cgroup").string()});
}

// The group this process (or `pid`) is in on the unified hierarchy: the 0:: line's path.
std::string unified_group(const std::string& pid = "self") {
  std::ifstream in("/proc/" + pid + "/cgroup");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  }
  return "";
}

}  // namespace

TEST_CASE("run cgroup: a step's resources become cpu.weight, cpu.max, memory.max and pids.max",
          "[unit][steps][resources]") {
  using Files = std::vector<std::pair<std::string, std::string>>;
  CHECK(steps::cgroup_limits(pipeline::default_resources()) == Files{{"cpu.weight", "11"},
                                                                     {"cpu.max", "max 100000"},
                                                                     {"memory.max", "max"},
                                                                     {"pids.max", "max"},
                                                                     {"cpu.idle", "1"}});
  pipeline::Resources tuned;
  tuned.nice = 0;
  tuned.cpu_percent = 150;
  tuned.memory = 2ull << 30;
  tuned.pids = 512;
  CHECK(steps::cgroup_limits(tuned) == Files{{"cpu.weight", "100"},
                                             {"cpu.max", "150000 100000"},
                                             {"memory.max", "2147483648"},
                                             {"pids.max", "512"},
                                             {"cpu.idle", "0"}});
  tuned.nice = 19;
  CHECK(steps::cgroup_limits(tuned).front() == std::pair<std::string, std::string>{"cpu.weight", "1"});
}

TEST_CASE("run cgroup: the run log's isolation line names the group, or why there is none",
          "[unit][steps][resources]") {
  auto resources = pipeline::default_resources();
  resources.memory = 2ull << 30;
  resources.pids = 512;
  CHECK(steps::describe_isolation(resources, "", "no cgroup2 file system is mounted", {}) ==
        "isolation: steps run at cpu class idle (SCHED_IDLE), nice 10, io best-effort, memory 2G per process "
        "(RLIMIT_DATA); pids and cpu are not enforced; no cgroup: no cgroup2 file system is mounted");
  // With autogroups, the session's nice: 19 for the idle class, the step's nice for the normal;
  // with custom slices, the idle class is SCHED_BATCH with the longest.
  const steps::SchedulerTraits both{true, true};
  CHECK(steps::describe_isolation(resources, "", "no cgroup2 file system is mounted", both) ==
        "isolation: steps run at cpu class idle (SCHED_BATCH, 100 ms slices), nice 10, io best-effort, "
        "in their own session's "
        "scheduling group at nice 19, memory 2G per process (RLIMIT_DATA); pids and cpu are not "
        "enforced; no cgroup: no cgroup2 file system is mounted");
  resources.cpu_class = pipeline::CpuClass::normal;
  CHECK_THAT(steps::describe_isolation(resources, "", "none", both),
             Catch::StartsWith("isolation: steps run at cpu class normal, nice 10, io best-effort, in their "
                               "own session's scheduling group at nice 10, "));
  resources.cpu_class = pipeline::CpuClass::idle;
  // In a group, the group's cpu controller weighs the step and autogroups do not apply.
  CHECK(steps::describe_isolation(resources, "/sys/fs/cgroup/turnout/run-7", "", both) ==
        "isolation: steps run at cpu class idle (SCHED_BATCH, 100 ms slices), nice 10, io best-effort, in "
        "the run's cgroup v2 group "
        "/sys/fs/cgroup/turnout/run-7 (memory.max 2G, pids.max 512, cpu.idle, cpu.weight of nice 10)");
}

TEST_CASE("run cgroup (fake tree): a run's steps write their limits and join the run's group before exec",
          "[unit][steps][resources][cgroup-fake]") {
  test::TempDir fake;
  const auto isolation = fake_delegated_tree(fake);
  INFO(isolation.why_not);
  REQUIRE(isolation.parent == (fake / "mnt/turnout.service").string());
  auto group = steps::RunCgroup::create(isolation.parent, "7");
  REQUIRE(group.ok());
  const std::string dir = group.value()->dir();
  CHECK(dir == isolation.parent + "/run-7");
  fake.write("mnt/turnout.service/run-7/cgroup.procs", "");  // the kernel makes it with the group
  fake.write("mnt/turnout.service/run-7/cpu.idle", "0");     // and this since Linux 5.15

  test::TempDir workspace;
  Lines lines;
  const auto result = run_in(workspace, group.value().get(), lines, R"yaml(
name: limited
resources: { memory: 64M, pids: 100, cpu: 50% }
stages:
  - name: build
    steps:
      - { name: data, run: 'ulimit -d' }
)yaml");
  INFO(result.stages[0].steps[0].reason);
  REQUIRE(result.status == Status::succeeded);
  // memory.max limits the step's processes together: no RLIMIT_DATA on each.
  CHECK(lines.lines == std::vector<std::string>{"unlimited"});
  CHECK(test::read_file(dir + "/cgroup.procs") == "0");  // written by the step's own process
  CHECK(test::read_file(dir + "/memory.max") == "67108864");
  CHECK(test::read_file(dir + "/pids.max") == "100");
  CHECK(test::read_file(dir + "/cpu.max") == "50000 100000");
  CHECK(test::read_file(dir + "/cpu.weight") == "11");
  CHECK(test::read_file(dir + "/cpu.idle") == "1");
}

TEST_CASE("run cgroup (fake tree): a step's pressure is its group's, from the step's start to its end",
          "[unit][steps][resources][cgroup-fake][pressure]") {
  test::TempDir fake;
  const auto isolation = fake_delegated_tree(fake);
  INFO(isolation.why_not);
  REQUIRE_FALSE(isolation.parent.empty());
  auto group = steps::RunCgroup::create(isolation.parent, "8");
  REQUIRE(group.ok());
  const std::string dir = group.value()->dir();
  fake.write("mnt/turnout.service/run-8/cgroup.procs", "");
  // The group's pressure files as the kernel keeps them, at the step's start (in the group) and
  // as the step leaves them (in later/, which the step copies over the group's, playing the kernel).
  test::write_pressure_files(dir, util::PressureScope::cgroup, {1000, 40, 10, 9000, 4500});
  test::write_pressure_files(fake / "later", util::PressureScope::cgroup, {3500, 80, 20, 9700, 4850});

  test::TempDir workspace;
  Lines lines;
  const auto result = run_in(workspace, group.value().get(), lines, R"yaml(
name: pressure
stages:
  - name: build
    steps:
      - { name: stalls, run: 'cp "$LATER"/*.pressure "$GROUP"/' }
)yaml",
                             {{"LATER", (fake / "later").string()}, {"GROUP", dir}});
  const auto& step = result.stages[0].steps[0];
  INFO(step.reason);
  REQUIRE(step.status == Status::succeeded);
  REQUIRE(step.pressure.has_value());
  CHECK(step.pressure->source == util::PressureScope::cgroup);
  CHECK(step.pressure->stall == util::PressureStall{2500, 40, 10, 700, 350});
}

TEST_CASE("run cgroup: on a delegated cgroup v2 tree, steps run in the run's group, slots outside it",
          "[integration][steps][resources][cgroup]") {
  const auto& isolation = steps::machine_cgroup_isolation();
  if (isolation.parent.empty()) {
    CHECK_FALSE(isolation.why_not.empty());  // the run log says why there is no group
    WARN("skipped: no delegated cgroup v2 tree here (" + isolation.why_not + ")");
    return;
  }
  auto group = steps::RunCgroup::create(isolation.parent, "cgroup-test-" + std::to_string(::getpid()));
  REQUIRE(group.ok());
  test::TempDir workspace;
  Lines lines;
  const auto result = run_in(workspace, group.value().get(), lines, R"yaml(
name: real
stages:
  - name: build
    steps:
      - { name: where, run: 'grep ^0:: /proc/self/cgroup' }
      - name: hog
        resources: { memory: 32M }
        run: 'python3 -c "b = bytearray(256 << 20); import time; time.sleep(1)"'
)yaml");
  REQUIRE_FALSE(lines.lines.empty());
  CHECK_THAT(lines.lines.front(), Catch::EndsWith("/run-cgroup-test-" + std::to_string(::getpid())));
  CHECK(result.stages[0].steps[1].status == Status::failed);
  CHECK_THAT(result.stages[0].steps[1].reason, Catch::StartsWith("out of memory (limit 32M)"));
  // Where the kernel keeps pressure, a step's is its group's own.
  if (std::filesystem::exists("/proc/pressure/cpu")) {
    REQUIRE(result.stages[0].steps[0].pressure.has_value());
    CHECK(result.stages[0].steps[0].pressure->source == util::PressureScope::cgroup);
  }

  // A slot started by turnout stays in turnout's own leaf, outside every run's group.
  steps::deploy::SlotLaunch launch{"exec sleep 30",
                                   "",
                                   workspace.path().string(),
                                   {"PATH=/usr/bin:/bin"},
                                   (workspace / "slot.log").string()};
  const auto slot = steps::deploy::start_slot(launch, util::Duration(5000));
  REQUIRE(slot.ok());
  REQUIRE(slot.value().has_value());
  const auto slot_group = unified_group(std::to_string(slot.value()->pid));
  CHECK(slot_group == unified_group());
  CHECK_THAT(slot_group, !Catch::Contains("/run-"));
  CHECK(steps::deploy::stop_slot(launch, slot.value(), util::Duration(2000)).ok());
}
