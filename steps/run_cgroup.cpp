#include "steps/run_cgroup.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>

namespace turnout::steps {

namespace {

const std::vector<std::string> kControllers{"cpu", "memory", "pids"};

// The scheduler's weight of nice 0..19 (the kernel's sched_prio_to_weight); 1024 is nice 0.
constexpr std::array<int, 20> kNiceWeight{1024, 820, 655, 526, 423, 335, 272, 215, 172, 137,
                                          110,  87,  70,  56,  45,  36,  29,  23,  18,  15};
// The period of cpu.max, in microseconds: the kernel's default.
constexpr int kCpuPeriod = 100000;

int cpu_weight(int nice) {
  const int clamped = nice < 0 ? 0 : (nice > 19 ? 19 : nice);
  const long weight = std::lround(kNiceWeight[static_cast<std::size_t>(clamped)] * 100.0 / 1024.0);
  return static_cast<int>(weight < 1 ? 1 : weight);
}

}  // namespace

CgroupIsolation prepare_cgroup_isolation(const util::CgroupSources& sources) {
  auto found = util::find_delegated_cgroup(kControllers, sources);
  if (!found) return {"", found.error().message};
  if (auto delegated = util::delegate_to_children(found.value(), "agent", kControllers); !delegated)
    return {"", delegated.error().message};
  return {found.value(), ""};
}

const CgroupIsolation& machine_cgroup_isolation() {
  // A fact about this process, found once: after the first call it lives in the leaf, where a
  // second detection would find a group with a process of its own.
  static const CgroupIsolation isolation = prepare_cgroup_isolation({});
  return isolation;
}

std::vector<std::pair<std::string, std::string>> cgroup_limits(const pipeline::Resources& resources) {
  const auto number_or_max = [](const auto& value) {
    return value ? std::to_string(*value) : std::string("max");
  };
  const std::string quota = resources.cpu_percent
                                ? std::to_string(*resources.cpu_percent * (kCpuPeriod / 100))
                                : std::string("max");
  return {{"cpu.weight", std::to_string(cpu_weight(resources.nice.value_or(0)))},
          {"cpu.max", quota + " " + std::to_string(kCpuPeriod)},
          {"memory.max", number_or_max(resources.memory)},
          {"pids.max", number_or_max(resources.pids)},
          {"cpu.idle", resources.cpu_class == pipeline::CpuClass::idle ? "1" : "0"}};
}

util::Result<std::unique_ptr<RunCgroup>> RunCgroup::create(const std::string& parent,
                                                           const std::string& run_id) {
  const std::string dir = parent + "/run-" + run_id;
  if (auto made = util::make_cgroup(dir); !made) return made.error();
  return std::unique_ptr<RunCgroup>(new RunCgroup(dir));
}

RunCgroup::~RunCgroup() {
  // Its steps' process groups have ended (invariant 4); a process still exiting gets a moment.
  [[maybe_unused]] const auto removed = util::remove_cgroup(dir_, util::Duration(2000));
}

util::Result<UniqueFd> RunCgroup::enter(const pipeline::Resources& resources) {
  for (const auto& [name, value] : cgroup_limits(resources)) {
    // cpu.idle came with Linux 5.15; before it, each process's SCHED_IDLE is what there is.
    if (name == "cpu.idle" && ::access((dir_ + "/" + name).c_str(), F_OK) != 0) continue;
    if (auto written = util::write_cgroup_file(dir_, name, value); !written) return written.error();
  }
  const std::string procs = dir_ + "/cgroup.procs";
  UniqueFd fd(::open(procs.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return util::fail("cannot open " + procs + ": " + std::strerror(errno));
  return fd;
}

std::uint64_t RunCgroup::oom_kills() const {
  return util::read_cgroup_count(dir_, "memory.events", "oom_kill");
}

}  // namespace turnout::steps
