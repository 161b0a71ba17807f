#pragma once
// cgroup v2 where this process may use it. Finding a delegated group is read-only: it reads
// /proc/self/mountinfo and /proc/self/cgroup and asks access(2) about the group's files, and
// concludes "not available" on a machine whose controllers are cgroup v1 (whose hierarchy must
// be left alone). Creating groups and writing their files comes only after that; every path is
// a parameter, so a test can point it at a directory laid out like a cgroup2 mount.

#include <cstdint>
#include <string>
#include <vector>

#include "util/duration.h"
#include "util/result.h"

namespace turnout::util {

/// Where detection reads what the kernel says of this process.
struct CgroupSources {
  std::string mountinfo = "/proc/self/mountinfo";  ///< where the cgroup2 file system is mounted
  std::string membership = "/proc/self/cgroup";    ///< this process's group: the line `0::/PATH`
};

/// The directory of this process's own cgroup v2 group when it may give its children groups
/// with `controllers`: the unified hierarchy is mounted, the group offers every one of them in
/// its cgroup.controllers, and it, its cgroup.procs and its cgroup.subtree_control are writable
/// by us (a delegated subtree: systemd's Delegate=, or root). Writes nothing. Fails with why not.
Result<std::string> find_delegated_cgroup(const std::vector<std::string>& controllers,
                                          const CgroupSources& sources = {});

/// Prepares `dir` (found by find_delegated_cgroup) to hold groups with `controllers`: moves this
/// process into the group `dir/leaf` (created; a group with processes of its own cannot hand
/// controllers to its children, and what this process starts later stays in that leaf), then
/// enables the controllers in dir's cgroup.subtree_control. Fails with what could not be done.
Status delegate_to_children(const std::string& dir, const std::string& leaf,
                            const std::vector<std::string>& controllers);

/// Creates the group `dir` (an existing one is used as it is).
Status make_cgroup(const std::string& dir);

/// Writes `value` into the interface file `name` of group `dir` (in a test's fake tree the file
/// is created). Fails with the file and the system's reason.
Status write_cgroup_file(const std::string& dir, const std::string& name, const std::string& value);

/// The number after `key` in the flat keyed file `name` of group `dir` (memory.events:
/// `oom_kill 2`); 0 when the file or the key is missing.
std::uint64_t read_cgroup_count(const std::string& dir, const std::string& name, const std::string& key);

/// Removes the group `dir` once its last process is gone, waiting up to `wait` for the
/// processes that are still ending. Fails with the system's reason (EBUSY: some still run).
Status remove_cgroup(const std::string& dir, Duration wait);

}  // namespace turnout::util
