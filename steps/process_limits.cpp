#include "steps/process_limits.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

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

[[noreturn]] void exec_child(const LimitedSpawn& spawn, int report) {
  ::setpgid(0, 0);
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
  const sched_param no_priority{};  // SCHED_IDLE takes none (nor does the kernel weigh nice there)
  if (limits.cpu == pipeline::CpuClass::idle && ::sched_setscheduler(0, SCHED_IDLE, &no_priority) != 0)
    fail_child(report);
  if (limits.nice > 0 && ::setpriority(PRIO_PROCESS, 0, ::getpriority(PRIO_PROCESS, 0) + limits.nice) != 0)
    fail_child(report);
  if (limits.io != pipeline::IoClass::normal && !util::set_io_priority(ioprio_of(limits.io)))
    fail_child(report);
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
  limits.io = resources.io.value_or(pipeline::IoClass::normal);
  limits.data_bytes = resources.memory;
  return limits;
}

std::string describe_isolation(const pipeline::Resources& resources, const std::string& group,
                               const std::string& why_not) {
  std::string line = "isolation: steps run at cpu class " +
                     std::string(to_string(resources.cpu_class.value_or(pipeline::CpuClass::normal))) +
                     ", nice " + std::to_string(resources.nice.value_or(0)) + ", io " +
                     to_string(resources.io.value_or(pipeline::IoClass::normal));
  if (!group.empty()) {
    line += ", in the run's cgroup v2 group " + group + " (";
    if (resources.memory) line += "memory.max " + pipeline::format_size(*resources.memory) + ", ";
    if (resources.pids) line += "pids.max " + std::to_string(*resources.pids) + ", ";
    if (resources.cpu_percent) line += "cpu.max " + std::to_string(*resources.cpu_percent) + "%, ";
    if (resources.cpu_class == pipeline::CpuClass::idle) line += "cpu.idle, ";
    return line + "cpu.weight of nice " + std::to_string(resources.nice.value_or(0)) + ")";
  }
  if (resources.memory)
    line += ", memory " + pipeline::format_size(*resources.memory) + " per process (RLIMIT_DATA)";
  if (resources.pids || resources.cpu_percent) line += "; pids and cpu are not enforced";
  return line + "; no cgroup: " + why_not;
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
  // Also from here: the caller signals the group at once, maybe before the child ran setpgid.
  ::setpgid(pid, pid);
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
