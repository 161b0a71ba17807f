// cgroup v2 detection and group files. Every test here but the last works on a temp directory
// laid out like a cgroup2 mount (a "fake tree"): what is found and what files get written. The
// last reads this machine's own tree and checks that detection changed nothing there.
#include "util/cgroup.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "tests/support/temp_dir.h"

using namespace turnout;

namespace {

// A temp dir with a mountinfo that mounts cgroup2 at DIR/mnt, this process in `group`, and the
// group's files as a delegated group has them.
struct FakeTree {
  test::TempDir dir;
  util::CgroupSources sources;
  std::string group_dir;

  explicit FakeTree(const std::string& controllers = "cpuset cpu io memory pids",
                    const std::string& group = "/system.slice/turnout.service") {
    const std::string mount = (dir / "mnt").string();
    sources.mountinfo = dir.write("mountinfo",
                                  "24 29 0:22 / /proc rw - proc proc rw\n"
                                  "35 24 0:30 / " +
                                      mount + " rw,nosuid - cgroup2 cgroup2 rw\n")
                            .string();
    sources.membership = dir.write("cgroup", "0::" + group + "\n").string();
    group_dir = mount + group;
    dir.write("mnt" + group + "/cgroup.controllers", controllers + "\n");
    dir.write("mnt" + group + "/cgroup.procs", "");
    dir.write("mnt" + group + "/cgroup.subtree_control", "");
  }
};

}  // namespace

TEST_CASE("cgroup (fake tree): a delegated cgroup2 group with cpu, memory and pids is found",
          "[unit][util][cgroup-fake]") {
  const FakeTree tree;
  const auto found = util::find_delegated_cgroup({"cpu", "memory", "pids"}, tree.sources);
  INFO((found ? "" : found.error().message));
  REQUIRE(found.ok());
  CHECK(found.value() == tree.group_dir);
}

TEST_CASE("cgroup (fake tree): without cgroup2 or its controllers, detection says why",
          "[unit][util][cgroup-fake]") {
  const std::vector<std::string> wanted{"cpu", "memory", "pids"};
  SECTION("the group offers none of the controllers (a unified mount beside cgroup v1 ones)") {
    const FakeTree tree("", "/");
    const auto found = util::find_delegated_cgroup(wanted, tree.sources);
    REQUIRE_FALSE(found.ok());
    CHECK(found.error().message ==
          "the cgroup v2 group " + (tree.dir / "mnt").string() + " offers no cpu, memory, pids controllers");
  }
  SECTION("one is missing") {
    const FakeTree tree("cpu memory");
    const auto found = util::find_delegated_cgroup(wanted, tree.sources);
    REQUIRE_FALSE(found.ok());
    CHECK_THAT(found.error().message, Catch::EndsWith("offers no pids controller"));
  }
  SECTION("only cgroup v1 hierarchies") {
    FakeTree tree;
    tree.dir.write("cgroup", "4:memory:/user.slice\n1:name=systemd:/user.slice\n");
    const auto found = util::find_delegated_cgroup(wanted, tree.sources);
    REQUIRE_FALSE(found.ok());
    CHECK_THAT(found.error().message, Catch::Contains("in no cgroup v2 group"));
  }
  SECTION("no cgroup2 mount") {
    FakeTree tree;
    tree.dir.write("mountinfo", "35 24 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
    const auto found = util::find_delegated_cgroup(wanted, tree.sources);
    REQUIRE_FALSE(found.ok());
    CHECK(found.error().message == "no cgroup2 file system is mounted");
  }
}

TEST_CASE("cgroup (fake tree): delegating moves this process into a leaf and enables the controllers",
          "[unit][util][cgroup-fake]") {
  const FakeTree tree;
  REQUIRE(util::delegate_to_children(tree.group_dir, "agent", {"cpu", "memory", "pids"}).ok());
  CHECK(test::read_file(tree.group_dir + "/agent/cgroup.procs") == "0");
  CHECK(test::read_file(tree.group_dir + "/cgroup.subtree_control") == "+cpu +memory +pids");
  tree.dir.write("mnt/system.slice/turnout.service/agent/memory.events",
                 "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\noom_group_kill 0\n");
  CHECK(util::read_cgroup_count(tree.group_dir + "/agent", "memory.events", "oom_kill") == 2);
  CHECK(util::read_cgroup_count(tree.group_dir + "/agent", "memory.events", "nope") == 0);
  CHECK(util::read_cgroup_count(tree.group_dir, "memory.events", "oom_kill") == 0);
}

TEST_CASE("cgroup: detection on this machine only reads its cgroup tree", "[unit][util]") {
  // What the cgroup2 mounts hold, and when each directory changed last.
  const auto snapshot = [] {
    std::set<std::string> seen;
    std::error_code error;
    for (const char* mount : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
      for (const auto& entry : std::filesystem::directory_iterator(mount, error)) {
        const auto changed = std::filesystem::last_write_time(entry.path(), error);
        seen.insert(entry.path().string() + " " + std::to_string(changed.time_since_epoch().count()));
      }
    }
    return seen;
  };
  const auto before = snapshot();
  const auto found = util::find_delegated_cgroup({"cpu", "memory", "pids"});
  INFO((found ? "found " + found.value() : "not available: " + found.error().message));
  if (!found) CHECK_FALSE(found.error().message.empty());
  CHECK(snapshot() == before);
}
