#pragma once
// A run's own cgroup v2 group, where this machine delegates one to turnout (issue "builds that
// never hurt production"): the steps' processes join it before exec, with cpu.weight from
// `nice`, cpu.max from `cpu`, memory.max from `memory` and pids.max from `pids`. turnout itself
// and the slots it starts stay in the leaf `agent` beside the runs' groups, never inside one.
// Where no tree is delegated (cgroup v1 machines among them), nothing of this is used: the steps
// keep their priorities and RLIMIT_DATA (steps/process_limits).

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/resources.h"
#include "steps/unique_fd.h"
#include "util/cgroup.h"
#include "util/result.h"

namespace turnout::steps {

/// Whether runs get groups here.
struct CgroupIsolation {
  std::string parent;   ///< the delegated group the runs' groups are made in; "" when none
  std::string why_not;  ///< when none: why, for the run log
};

/// Finds a delegated cgroup v2 group through `sources` and, when there is one, moves this
/// process into its leaf `agent` and hands cpu, memory and pids to its children. Read-only until
/// a group is found; a failure on the way is the answer's why_not.
CgroupIsolation prepare_cgroup_isolation(const util::CgroupSources& sources);

/// prepare_cgroup_isolation of this machine, done at the first call: a process moves itself into
/// the leaf once, and every later run shares the answer.
const CgroupIsolation& machine_cgroup_isolation();

/// The interface files and values a step's group gets for `resources`, in the order written:
/// cpu.weight (the kernel's weight of `nice`, 100 at nice 0), cpu.max, memory.max, pids.max
/// ("max" for what is not limited), cpu.idle (1 for cpu_class idle: the group as a whole yields
/// to the agent's, as each of its processes does inside it).
std::vector<std::pair<std::string, std::string>> cgroup_limits(const pipeline::Resources& resources);

/// A run's group, PARENT/run-ID, removed (once empty) when this goes.
class RunCgroup {
 public:
  /// Creates the group of run `run_id` under `parent`. Fails with the reason.
  static util::Result<std::unique_ptr<RunCgroup>> create(const std::string& parent,
                                                         const std::string& run_id);
  ~RunCgroup();
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;

  /// Sets the group's limits to those of the step about to run (`resources`, merged) and opens
  /// its cgroup.procs, into which the step's process writes itself before exec.
  util::Result<UniqueFd> enter(const pipeline::Resources& resources);
  /// How often the kernel's OOM killer has killed a process of the group (memory.events).
  std::uint64_t oom_kills() const;
  /// The group's directory.
  const std::string& dir() const { return dir_; }

 private:
  explicit RunCgroup(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace turnout::steps
