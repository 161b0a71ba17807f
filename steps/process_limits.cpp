#include "steps/process_limits.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <fstream>

#include "util/batch_slice.h"
#include "util/io_priority.h"

namespace turnout::steps {

namespace {

int ioprio_of(pipeline::IoClass io) {
  return io == pipeline::IoClass::idle ? util::kIoPriorityIdle : util::kIoPriorityLowestBestEffort;
}

// Tells the parent why the child cannot run, then ends it: nothing after a fork in a threaded
// process may allocate or lock, so only system calls from here on.
[[noreturn]] void fail_child(int report) {
  const int error = errno;
  [[maybe_unused]] const auto written = ::write(report, &error, sizeof error);
  ::_exit(127);
}

// Writes `nice` (0..19) to the scheduling group of the process's own session. The kernel lets
// an unprivileged process do so once per 100 ms machine-wide (EAGAIN), so a few steps starting
// together wait their turn; a kernel without autogroups has no such file, and there nothing is
// to be done. Returns false on any other refusal.
bool set_session_nice(int nice) {
  if (nice <= 0) return true;  // a new session's group starts at 0
  const int fd = ::open("/proc/self/autogroup", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;
  const char text[] = {static_cast<char>(nice >= 10 ? '1' : '0'), static_cast<char>('0' + nice % 10)};
  const timespec pause{0, 10'000'000};
  ssize_t written = -1;
  for (int attempt = 0; attempt < 200; ++attempt) {
    written = ::write(fd, text, sizeof text);
    if (written >= 0 || errno != EAGAIN) break;
    ::nanosleep(&pause, nullptr);
  }
  const int error = errno;
  ::close(fd);
  errno = error;
  return written == static_cast<ssize_t>(sizeof text);
}

[[noreturn]] void exec_child(const LimitedSpawn& spawn, int report) {
  // A session of its own: a process group to signal as a whole and, where the kernel has
  // autogroups, a scheduling group of its own. Sessions (the slots', nginx's, the agent's) are
  // weighed against each other as groups before the processes within them, so SCHED_IDLE alone
  // yields only to the processes of the session it is in; the session's nice makes the whole
  // step yield to the others.
  if (::setsid() < 0) fail_child(report);
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  for (const int signal : {SIGINT, SIGTERM, SIGPIPE, SIGQUIT}) ::sigaction(signal, &default_action, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  const int null = ::open("/dev/null", O_RDONLY);
  if (null < 0 || ::dup2(null, STDIN_FILENO) < 0) fail_child(report);
  if (null != STDIN_FILENO) ::close(null);
  if (::dup2(spawn.out, STDOUT_FILENO) < 0 || ::dup2(spawn.err, STDERR_FILENO) < 0) fail_child(report);
  if (spawn.cwd != nullptr && spawn.cwd[0] != '\0' && ::chdir(spawn.cwd) != 0) fail_child(report);
  const ProcessLimits& limits = spawn.limits;
  // Lowering one's own priority needs no privilege; a failure here would leave the step at
  // turnout's priority, so it is refused rather than run unlimited.
  // The idle class yields at once to a woken process of any session or cgroup (util/batch_slice).
  if (limits.cpu == pipeline::CpuClass::idle && !util::set_idle_class()) fail_child(report);
  if (limits.nice > 0 && ::setpriority(PRIO_PROCESS, 0, ::getpriority(PRIO_PROCESS, 0) + limits.nice) != 0)
    fail_child(report);
  if (limits.io != pipeline::IoClass::normal && !util::set_io_priority(ioprio_of(limits.io)))
    fail_child(report);
  if (!set_session_nice(limits.session_nice)) fail_child(report);
  if (limits.data_bytes) {
    const rlimit data{*limits.data_bytes, *limits.data_bytes};
    if (::setrlimit(RLIMIT_DATA, &data) != 0) fail_child(report);
  }
  // "0": the writing process. Before exec, so that nothing the step runs is outside the group.
  if (limits.cgroup_procs >= 0 && ::write(limits.cgroup_procs, "0", 1) != 1) fail_child(report);
  ::execve(spawn.path, spawn.argv, spawn.envp);
  fail_child(report);
}

}  // namespace

ProcessLimits limits_of(const pipeline::Resources& resources) {
  ProcessLimits limits;
  limits.cpu = resources.cpu_class.value_or(pipeline::CpuClass::normal);
  limits.nice = resources.nice.value_or(0);
  // The idle class yields all it can within the session; its session yields all it can too.
  limits.session_nice = limits.cpu == pipeline::CpuClass::idle ? 19 : limits.nice;
  limits.io = resources.io.value_or(pipeline::IoClass::normal);
  limits.data_bytes = resources.memory;
  return limits;
}

std::string describe_isolation(const pipeline::Resources& resources, const std::string& group,
                               const std::string& why_not, const SchedulerTraits& scheduler) {
  // What a step's process gets, so that the line says what the child sets.
  const ProcessLimits limits = limits_of(resources);
  const std::string nice = std::to_string(limits.nice);
  std::string line = "isolation: steps run at cpu class " + std::string(to_string(limits.cpu));
  if (limits.cpu == pipeline::CpuClass::idle)
    line += scheduler.custom_slices ? " (SCHED_BATCH, 100 ms slices)" : " (SCHED_IDLE)";
  line += ", nice " + nice + ", io " + to_string(limits.io);
  if (!group.empty()) {
    line += ", in the run's cgroup v2 group " + group + " (";
    if (resources.memory) line += "memory.max " + pipeline::format_size(*resources.memory) + ", ";
    if (resources.pids) line += "pids.max " + std::to_string(*resources.pids) + ", ";
    if (resources.cpu_percent) line += "cpu.max " + std::to_string(*resources.cpu_percent) + "%, ";
    if (limits.cpu == pipeline::CpuClass::idle) line += "cpu.idle, ";
    return line + "cpu.weight of nice " + nice + ")";
  }
  if (scheduler.autogroups)
    line += ", in their own session's scheduling group at nice " + std::to_string(limits.session_nice);
  if (resources.memory)
    line += ", memory " + pipeline::format_size(*resources.memory) + " per process (RLIMIT_DATA)";
  if (resources.pids || resources.cpu_percent) line += "; pids and cpu are not enforced";
  return line + "; no cgroup: " + why_not;
}

SchedulerTraits scheduler_traits() {
  SchedulerTraits traits;
  std::ifstream sysctl("/proc/sys/kernel/sched_autogroup_enabled");
  int enabled = 0;
  traits.autogroups = static_cast<bool>(sysctl >> enabled) && enabled == 1;
  traits.custom_slices = util::custom_slices_kept();
  return traits;
}

pid_t spawn_limited(const LimitedSpawn& spawn) {
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return -errno;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(report[0]);
    exec_child(spawn, report[1]);
  }
  const int fork_error = errno;
  ::close(report[1]);
  if (pid < 0) {
    ::close(report[0]);
    return -fork_error;
  }
  // No setpgid(pid, pid) from here: it would make setsid fail in the child. The caller cannot
  // signal the group too early anyway: this returns only once the child has exec'd.
  int child_error = 0;
  ssize_t got = 0;
  do {
    got = ::read(report[0], &child_error, sizeof child_error);
  } while (got < 0 && errno == EINTR);
  ::close(report[0]);
  if (got != static_cast<ssize_t>(sizeof child_error)) return pid;  // closed at exec: it runs
  ::waitpid(pid, nullptr, 0);
  return -child_error;
}

}  // namespace turnout::steps
