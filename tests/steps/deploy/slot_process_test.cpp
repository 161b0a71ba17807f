#include "steps/deploy/slot_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "steps/child_process.h"
#include "tests/support/sleeping_child.h"
#include "tests/support/temp_dir.h"
#include "util/process_identity.h"

using namespace std::chrono_literals;
using turnout::steps::process_group_alive;
using turnout::steps::deploy::slot_alive;
using turnout::steps::deploy::SlotLaunch;
using turnout::steps::deploy::start_slot;
using turnout::steps::deploy::stop_slot;
using turnout::test::read_file;
using turnout::test::TempDir;
using turnout::util::ProcessIdentity;

namespace {

const std::string kPath = "PATH=/usr/local/bin:/usr/bin:/bin";
constexpr auto kCommandTimeout = turnout::util::Duration(30s);

// Ends the whole session's group of a slot a test started, whatever the test did meanwhile.
class SlotGuard {
 public:
  SlotGuard() = default;
  ~SlotGuard() {
    if (!slot_) return;
    turnout::steps::end_orphaned_group(*slot_, turnout::util::Duration(0));
    for (int i = 0; i < 200 && process_group_alive(slot_->pid); ++i) std::this_thread::sleep_for(50ms);
  }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

  void watch(const ProcessIdentity& slot) { slot_ = slot; }

 private:
  std::optional<ProcessIdentity> slot_;
};

SlotLaunch supervised(const TempDir& dir, const std::string& start) {
  SlotLaunch launch;
  launch.start = start;
  launch.cwd = (dir / "release").string();
  std::filesystem::create_directories(launch.cwd);
  launch.env = {kPath, "PORT=20201", "TURNOUT_SLOT=blue"};
  launch.log_file = (dir / "apps/app/blue.log").string();  // its folder does not exist yet
  return launch;
}

// Starts an agent-supervised slot that `guard` ends at the end of the test.
ProcessIdentity start(const SlotLaunch& launch, SlotGuard& guard) {
  const auto started = start_slot(launch, kCommandTimeout);
  if (!started) FAIL(started.error().message);
  REQUIRE(started.value().has_value());
  guard.watch(*started.value());
  return *started.value();
}

// Waits (a generous limit, never a measured duration) until `condition` holds.
bool eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 400; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(25ms);
  }
  return condition();
}

std::vector<std::string> environ_of(pid_t pid) {
  std::vector<std::string> entries;
  std::ifstream file("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  std::string entry;
  while (std::getline(file, entry, '\0')) entries.push_back(entry);
  return entries;
}

// Fields 3 to 5 of /proc/PID/stat: state, ppid, pgrp.
struct StatFields {
  char state = 0;
  pid_t ppid = 0;
  pid_t pgrp = 0;
};

std::optional<StatFields> stat_of(const std::string& pid) {
  std::ifstream file("/proc/" + pid + "/stat");
  const std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  StatFields fields;
  std::istringstream(text.substr(close + 1)) >> fields.state >> fields.ppid >> fields.pgrp;
  return fields;
}

// The live (not zombie) processes of group `pgid`.
std::vector<ProcessIdentity> group_members(pid_t pgid) {
  std::vector<ProcessIdentity> members;
  DIR* proc = ::opendir("/proc");
  REQUIRE(proc != nullptr);
  while (const dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    const auto fields = stat_of(entry->d_name);
    if (!fields || fields->pgrp != pgid || fields->state == 'Z') continue;
    if (const auto identity = turnout::util::identify(std::stoi(entry->d_name))) members.push_back(*identity);
  }
  ::closedir(proc);
  return members;
}

std::set<std::string> open_fds(pid_t pid) {
  std::set<std::string> fds;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
    fds.insert(entry.path().filename().string());
  }
  return fds;
}

}  // namespace

TEST_CASE("slot: a supervised slot leads its own session, outside ours, and is not our child",
          "[integration][deploy]") {
  const TempDir dir;
  SlotGuard guard;
  const auto slot = start(supervised(dir, "exec sleep 1000"), guard);
  CHECK(slot_alive(slot));
  CHECK(::getsid(slot.pid) == slot.pid);
  CHECK(::getpgid(slot.pid) == slot.pid);
  CHECK(::getsid(slot.pid) != ::getsid(0));
  CHECK(::getpgid(slot.pid) != ::getpgrp());
  // turnout never has to wait for it: it was handed over to init (or a subreaper).
  const auto fields = stat_of(std::to_string(slot.pid));
  REQUIRE(fields);
  CHECK(fields->ppid != ::getpid());
  int status = 0;
  CHECK(::waitpid(slot.pid, &status, WNOHANG) == -1);
}

TEST_CASE("slot: a supervised slot writes to its log, in its directory, with stdin from /dev/null",
          "[integration][deploy]") {
  const TempDir dir;
  auto launch = supervised(dir, "echo \"started on $PORT in $(pwd -P)\"; echo oops >&2; exec sleep 1000");
  std::filesystem::create_directories(std::filesystem::path(launch.log_file).parent_path());
  std::ofstream(launch.log_file) << "earlier run\n";
  SlotGuard guard;
  const auto slot = start(launch, guard);
  const std::string expected =
      "earlier run\nstarted on 20201 in " + std::filesystem::canonical(launch.cwd).string() + "\noops\n";
  CHECK(eventually([&] { return read_file(launch.log_file) == expected; }));
  CHECK(read_file(launch.log_file) == expected);
  const auto proc = "/proc/" + std::to_string(slot.pid);
  CHECK(std::filesystem::read_symlink(proc + "/fd/0") == "/dev/null");
  CHECK(std::filesystem::read_symlink(proc + "/fd/1") == std::filesystem::canonical(launch.log_file));
  CHECK(std::filesystem::read_symlink(proc + "/cwd") == std::filesystem::canonical(launch.cwd));
}

TEST_CASE("slot: a supervised slot gets its environment without RUNNER_TRACKING_ID, nor our descriptors",
          "[integration][deploy]") {
  const TempDir dir;
  auto launch = supervised(dir, "exec sleep 1000");
  launch.env.push_back("RUNNER_TRACKING_ID=github_0c1d2e3f");
  launch.env.push_back("APP_MODE=blue-green");
  // A descriptor opened without O_CLOEXEC, as a library might: a slot outliving us must not hold it.
  const int leaky = ::open("/dev/null", O_RDONLY);
  REQUIRE(leaky >= 0);
  SlotGuard guard;
  const auto slot = start(launch, guard);
  ::close(leaky);
  // Until bash has exec'd `sleep`, the slot is still our forked copy (our environment, its channel).
  // The kernel names the new image before it lays out its environment: /proc/PID/environ reads
  // empty for a moment after comm says `sleep`.
  REQUIRE(eventually([&] {
    return turnout::test::read_file("/proc/" + std::to_string(slot.pid) + "/comm") == "sleep\n" &&
           !environ_of(slot.pid).empty();
  }));
  const auto env = environ_of(slot.pid);
  CHECK(std::find(env.begin(), env.end(), "APP_MODE=blue-green") != env.end());
  CHECK(std::find(env.begin(), env.end(), "PORT=20201") != env.end());
  for (const auto& entry : env) CHECK_FALSE(entry.starts_with("RUNNER_TRACKING_ID"));
  // sleep's dynamic loader briefly holds ld.so.cache and libc open after the exec: a leaked
  // descriptor is one that stays.
  const std::set<std::string> standard{"0", "1", "2"};
  if (!eventually([&] { return open_fds(slot.pid) == standard; })) {
    for (const auto& fd : open_fds(slot.pid)) {
      std::error_code error;
      UNSCOPED_INFO(
          "fd " << fd << " -> "
                << std::filesystem::read_symlink("/proc/" + std::to_string(slot.pid) + "/fd/" + fd, error));
    }
  }
  CHECK(open_fds(slot.pid) == standard);
}

TEST_CASE("slot: a supervised slot starts with default signal handling", "[integration][deploy]") {
  sigset_t blocked;
  sigset_t previous;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &blocked, &previous);
  const auto old_hup = ::signal(SIGHUP, SIG_IGN);
  const TempDir dir;
  SlotGuard guard;
  const auto slot = start(supervised(dir, "exec sleep 1000"), guard);
  ::signal(SIGHUP, old_hup);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  // bash ignores SIGQUIT for a moment while it starts: what counts is what sleep runs with.
  const std::string proc = "/proc/" + std::to_string(slot.pid);
  REQUIRE(eventually([&] { return read_file(proc + "/comm") == "sleep\n"; }));
  std::ifstream status(proc + "/status");
  std::string line;
  std::string sig_blk;
  std::string sig_ign;
  while (std::getline(status, line)) {
    if (line.starts_with("SigBlk:")) sig_blk = line;
    if (line.starts_with("SigIgn:")) sig_ign = line;
  }
  CHECK(sig_blk == "SigBlk:\t0000000000000000");
  CHECK(sig_ign == "SigIgn:\t0000000000000000");
}

TEST_CASE("slot: a supervised slot outlives the process group that started it", "[integration][deploy]") {
  const TempDir dir;
  const auto launch = supervised(dir, "exec sleep 1000");
  int channel[2];
  REQUIRE(::pipe2(channel, O_CLOEXEC) == 0);
  // A starter in a group of its own stands for a turnout whose group is signalled (a terminal
  // closing, a runner ending its job): it reports the slot, then waits to be killed.
  const pid_t starter = ::fork();
  REQUIRE(starter >= 0);
  if (starter == 0) {
    ::setpgid(0, 0);
    ProcessIdentity slot{};
    try {
      const auto started = start_slot(launch, kCommandTimeout);
      if (started && started.value()) slot = *started.value();
    } catch (...) {  // never back into Catch in a forked copy of the test process
    }
    [[maybe_unused]] const ssize_t written = ::write(channel[1], &slot, sizeof slot);
    while (true) ::pause();
  }
  ::close(channel[1]);
  ProcessIdentity slot{};
  const ssize_t got = ::read(channel[0], &slot, sizeof slot);
  ::close(channel[0]);
  SlotGuard guard;
  if (got == sizeof slot && slot.pid > 0) guard.watch(slot);
  for (int signal : {SIGHUP, SIGTERM, SIGKILL}) ::kill(-starter, signal);
  ::waitpid(starter, nullptr, 0);
  REQUIRE(got == sizeof slot);
  REQUIRE(slot.pid > 0);
  CHECK(::getpgid(slot.pid) != starter);
  CHECK(slot_alive(slot));
}

TEST_CASE("slot: stop_slot ends the slot and every process it started", "[integration][deploy]") {
  const TempDir dir;
  SlotGuard guard;
  const auto slot = start(supervised(dir, "sleep 1000 & sleep 1000"), guard);
  REQUIRE(eventually([&] { return group_members(slot.pid).size() == 3; }));  // bash and both sleeps
  const auto members = group_members(slot.pid);
  const auto stopped = stop_slot(supervised(dir, "unused"), slot, turnout::util::Duration(5s));
  if (!stopped) FAIL(stopped.error().message);
  CHECK_FALSE(slot_alive(slot));
  for (const auto& member : members) CHECK_FALSE(turnout::util::is_alive(member));
  CHECK_FALSE(process_group_alive(slot.pid));
}

TEST_CASE("slot: a slot that handles TERM and goes on is killed after the grace", "[integration][deploy]") {
  const TempDir dir;
  const auto launch =
      supervised(dir, "trap 'echo got TERM' TERM; echo ready; while true; do sleep 1 || true; done");
  SlotGuard guard;
  const auto slot = start(launch, guard);
  REQUIRE(eventually([&] { return read_file(launch.log_file) == "ready\n"; }));
  const auto stopped = stop_slot(launch, slot, turnout::util::Duration(2s));
  if (!stopped) FAIL(stopped.error().message);
  CHECK_FALSE(slot_alive(slot));
  CHECK_FALSE(process_group_alive(slot.pid));
  // TERM came first (bash also reports the sleep it killed), KILL after it.
  CHECK(read_file(launch.log_file).find("\ngot TERM\n") != std::string::npos);
}

TEST_CASE("slot: stop_slot leaves alone a pid that is not the recorded process", "[integration][deploy]") {
  const TempDir dir;
  const auto launch =
      supervised(dir, "trap 'echo got TERM; exit 0' TERM HUP INT; echo ready; sleep 1000 & wait");
  SlotGuard guard;
  const auto slot = start(launch, guard);
  REQUIRE(eventually([&] { return read_file(launch.log_file) == "ready\n"; }));

  // Same pid, another start time: the pid now belongs to someone else.
  const ProcessIdentity recycled{slot.pid, slot.start_time + 1};
  CHECK_FALSE(slot_alive(recycled));
  const auto stopped = stop_slot(launch, recycled, turnout::util::Duration(0));
  if (!stopped) FAIL(stopped.error().message);
  CHECK(slot_alive(slot));

  // A process that has exited and been reaped.
  turnout::test::SleepingChild gone;
  const auto gone_identity = turnout::util::identify(gone.pid());
  REQUIRE(gone_identity);
  gone.kill_and_reap();
  CHECK(stop_slot(launch, *gone_identity, turnout::util::Duration(0)).ok());
  CHECK(stop_slot(launch, std::nullopt, turnout::util::Duration(0)).ok());

  CHECK(slot_alive(slot));
  CHECK(read_file(launch.log_file) == "ready\n");
}

TEST_CASE("slot: a slot that exits at once still gets its identity, and is then not alive",
          "[integration][deploy]") {
  const TempDir dir;
  const auto launch = supervised(dir, "echo bye; exit 3");
  SlotGuard guard;
  const auto slot = start(launch, guard);
  CHECK(slot.start_time > 0);
  // Once exited it is a zombie of init (which may never reap it here): not alive all the same.
  CHECK(eventually([&] { return !slot_alive(slot); }));
  CHECK(stop_slot(launch, slot, turnout::util::Duration(0)).ok());
  CHECK(read_file(launch.log_file) == "bye\n");
}

TEST_CASE("slot: starting fails clearly without its directory or its command", "[integration][deploy]") {
  const TempDir dir;
  auto launch = supervised(dir, "exec sleep 1000");
  launch.cwd = (dir / "releases/missing").string();
  const auto no_dir = start_slot(launch, kCommandTimeout);
  REQUIRE_FALSE(no_dir.ok());
  CHECK(no_dir.error().message == "cannot start the slot in '" + launch.cwd + "': No such file or directory");
  CHECK_FALSE(std::filesystem::exists(launch.log_file));

  launch = supervised(dir, "");
  const auto no_command = start_slot(launch, kCommandTimeout);
  REQUIRE_FALSE(no_command.ok());
  CHECK(no_command.error().message == "cannot start the slot: it has no start command");

  launch = supervised(dir, "exec sleep 1000");
  launch.env = {"PATH=" + (dir / "empty").string()};
  const auto no_bash = start_slot(launch, kCommandTimeout);
  REQUIRE_FALSE(no_bash.ok());
  CHECK(no_bash.error().message == "cannot start the slot: bash is not in the PATH of its environment");

  // Found, but exec fails: the slot's own report comes back through the channel.
  const auto fake = dir.write("fakebin/bash", "not a program\n");
  ::chmod(fake.c_str(), 0755);
  launch.env = {"PATH=" + (dir / "fakebin").string()};
  const auto bad_bash = start_slot(launch, kCommandTimeout);
  REQUIRE_FALSE(bad_bash.ok());
  CHECK(bad_bash.error().message ==
        "cannot start the slot: cannot run '" + fake.string() + "': Exec format error");
}

TEST_CASE("slot: an outside supervisor's start and stop commands run to completion",
          "[integration][deploy]") {
  const TempDir dir;
  auto launch = supervised(dir, "echo \"$TURNOUT_SLOT $PORT ${RUNNER_TRACKING_ID-none}\" > started");
  launch.stop = "touch stopped";
  launch.env.push_back("RUNNER_TRACKING_ID=github_0c1d2e3f");
  const auto started = start_slot(launch, kCommandTimeout);
  if (!started) FAIL(started.error().message);
  CHECK_FALSE(started.value().has_value());
  CHECK(read_file(std::filesystem::path(launch.cwd) / "started") == "blue 20201 none\n");
  CHECK_FALSE(std::filesystem::exists(launch.log_file));

  const auto stopped = stop_slot(launch, std::nullopt, turnout::util::Duration(1s));
  if (!stopped) FAIL(stopped.error().message);
  CHECK(std::filesystem::exists(std::filesystem::path(launch.cwd) / "stopped"));
}

TEST_CASE("slot: an outside supervisor's failing command reports its status and last output",
          "[integration][deploy]") {
  const TempDir dir;
  auto launch =
      supervised(dir, "echo first; for i in $(seq 1 20); do echo line $i; done; echo oops >&2; exit 3");
  launch.stop = "echo cannot stop; exit 4";
  const auto started = start_slot(launch, kCommandTimeout);
  REQUIRE_FALSE(started.ok());
  const auto& message = started.error().message;
  CHECK(message.starts_with("the slot's start command exited 3 (in " + launch.cwd + "); its last output: "));
  CHECK(message.ends_with("line 19 | line 20 | oops"));
  CHECK(message.find("first") == std::string::npos);
  CHECK(message.find('\n') == std::string::npos);

  const auto stopped = stop_slot(launch, std::nullopt, turnout::util::Duration(1s));
  REQUIRE_FALSE(stopped.ok());
  CHECK(stopped.error().message ==
        "the slot's stop command exited 4 (in " + launch.cwd + "); its last output: cannot stop");

  launch.start = "sleep 1000";
  const auto slow = start_slot(launch, turnout::util::Duration(100ms));
  REQUIRE_FALSE(slow.ok());
  CHECK(slow.error().message ==
        "the slot's start command timed out after 100ms (in " + launch.cwd + "); it printed nothing");
}
