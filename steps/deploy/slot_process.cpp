#include "steps/deploy/slot_process.h"
#include "steps/deploy/short_command.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <thread>

#include "steps/cancel_token.h"
#include "steps/child_process.h"
#include "steps/secret_masker.h"
#include "steps/shell_step.h"
#include "steps/unique_fd.h"
#include "util/exec.h"
#include "util/port_owner.h"

namespace turnout::steps::deploy {

namespace {

using Clock = std::chrono::steady_clock;

// How often stop_slot looks whether the session's group is gone (nothing can wake us when it is).
constexpr auto kTick = std::chrono::milliseconds(50);
// After SIGKILL a process only lingers in uninterruptible sleep (a hung NFS mount); past this
// stop_slot reports it instead of hanging the deploy.
constexpr auto kKillWait = std::chrono::seconds(10);
// A `stop:` command (docker stop, systemctl stop) itself waits up to the app's grace before it
// kills; this much more is its own overhead. stop_slot has no timeout of its own to use.
constexpr auto kStopCommandSlack = std::chrono::seconds(30);
constexpr std::string_view kTrackingId = "RUNNER_TRACKING_ID=";

std::string error_text(int error) { return std::strerror(error); }

// The GitHub Actions runner kills every process carrying RUNNER_TRACKING_ID when its job ends; a
// slot (or whatever an outside supervisor's command leaves running) must outlive the job.
std::vector<std::string> slot_environment(const std::vector<std::string>& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& entry : env) {
    if (!entry.starts_with(kTrackingId)) out.push_back(entry);
  }
  return out;
}

std::optional<util::Error> check_directory(const std::string& cwd) {
  if (cwd.empty()) return std::nullopt;  // ours, as for a step
  struct stat info {};
  if (::stat(cwd.c_str(), &info) != 0) {
    return util::fail("cannot start the slot in '" + cwd + "': " + error_text(errno));
  }
  if (!S_ISDIR(info.st_mode)) return util::fail("cannot start the slot in '" + cwd + "': not a directory");
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Outside supervisor: `start` and `stop` are commands that return.

std::string last_output(const CommandRun& run) {
  return run.tail.empty() ? "; it printed nothing" : "; its last output: " + joined_tail(run);
}

util::Status run_command(const char* what, const std::string& script, const SlotLaunch& launch,
                         util::Duration timeout) {
  // The launch carries no secrets to mask; the caller masks the error text it reports.
  const auto run = run_short_command({script, slot_environment(launch.env), launch.cwd, timeout});
  const std::string name = std::string("the slot's ") + what + " command";
  if (!run) return util::fail("cannot run " + name + ": " + run.error().message);
  if (run.value().succeeded) return util::Ok{};
  const auto& ending = run.value().ending;
  return util::fail(name + " " + (ending.starts_with("killed") ? "was " : "") + ending + " (in " +
                    launch.cwd + ")" + last_output(run.value()));
}

// ---------------------------------------------------------------------------------------------
// Agent-supervised: `bash -c start` in a session of its own, which turnout never waits for.
//
// Why a double fork. The slot must outlive turnout, so it cannot stay a child that turnout has to
// reap: turnout forks a short-lived intermediate, which forks the slot and exits at once. Turnout
// reaps the intermediate; the slot is reparented to init (or the nearest subreaper), exactly as it
// is anyway once turnout restarts, so a slot started by this turnout and one found after a restart
// are the same case. Keeping the slot as a child and reaping it from slot_alive/stop_slot with
// waitpid(WNOHANG) would instead let a dead slot linger as turnout's zombie until someone asks, and
// could reap a step's child (run_process waits for its own) once the slot's pid is reused for one.
// A slot that exits is then a zombie of init; util::identify counts zombies as gone, and the zombie
// keeps its pid from being reused, so a recorded identity stays safe to check.
//
// The slot waits for turnout's go-ahead before it execs: turnout reads its start time first, so it
// always gets the identity even of a slot that dies at once, and a turnout that dies before it has
// read the identity leaves no slot behind that nobody knows of.

// What the intermediate and the slot report to turnout over the channel.
enum class Report : int { started, fork_failed, setsid_failed, chdir_failed, exec_failed };

struct Message {
  Report what;
  int value;  // the slot's pid for `started`, an errno value otherwise
};

constexpr char kGo = 'g';

// Everything the children need, made before fork: after it, only async-signal-safe calls.
struct Launch {
  std::string path;  // bash, resolved in the slot's PATH
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::vector<char*> argv_ptrs;
  std::vector<char*> env_ptrs;
  const char* cwd = nullptr;  // nullptr = ours
  UniqueFd log;
  UniqueFd null;
  UniqueFd ours;    // turnout's end of the channel
  UniqueFd theirs;  // the children's end
  int max_fd = 1024;
};

// A descriptor at 3 or above, so that setting up 0, 1 and 2 in the slot cannot overwrite it
// (turnout may have been started with some of them closed).
int above_stdio(int fd) {
  if (fd < 0 || fd > STDERR_FILENO) return fd;
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  ::close(fd);
  return moved;
}

util::Error open_error(const std::string& what, const std::string& path, int error) {
  return util::fail("cannot start the slot: " + what + " '" + path + "': " + error_text(error));
}

std::optional<util::Error> prepare(Launch& launch, const SlotLaunch& slot) {
  // bash as a step's bash is found: in the PATH of the slot's own environment.
  auto bash = util::find_program("bash", slot.env, slot.cwd);
  if (!bash) return util::fail("cannot start the slot: bash is not in the PATH of its environment");
  launch.path = std::move(bash).value();
  launch.argv = shell_argv(slot.start);
  launch.env = slot_environment(slot.env);
  launch.argv_ptrs = util::c_strings(launch.argv);
  launch.env_ptrs = util::c_strings(launch.env);
  if (!slot.cwd.empty()) launch.cwd = slot.cwd.c_str();
  if (slot.log_file.empty()) return util::fail("cannot start the slot: it has no log file");
  std::error_code error;
  const auto folder = std::filesystem::path(slot.log_file).parent_path();
  if (!folder.empty()) std::filesystem::create_directories(folder, error);
  if (error) return util::fail("cannot start the slot: folder '" + folder.string() + "': " + error.message());
  // A slot's output is what its app logs: for the agent's group, not for everyone.
  launch.log.reset(
      above_stdio(::open(slot.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640)));
  if (!launch.log) return open_error("log file", slot.log_file, errno);
  launch.null.reset(above_stdio(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
  if (!launch.null) return open_error("stdin", "/dev/null", errno);
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    return util::fail("cannot start the slot: socketpair: " + error_text(errno));
  }
  launch.ours.reset(above_stdio(ends[0]));
  launch.theirs.reset(above_stdio(ends[1]));
  if (!launch.ours || !launch.theirs) return util::fail("cannot start the slot: " + error_text(errno));
  const long open_max = ::sysconf(_SC_OPEN_MAX);
  if (open_max > 0) launch.max_fd = static_cast<int>(std::min<long>(open_max, 1 << 20));
  return std::nullopt;
}

// In a child: MSG_NOSIGNAL, since turnout may be gone and a SIGPIPE would end us silently. A
// report that cannot be sent has nobody to read it, so its result is not checked.
void report(int fd, Report what, int value) {
  const Message message{what, value};
  [[maybe_unused]] const ssize_t sent = ::send(fd, &message, sizeof message, MSG_NOSIGNAL);
}

[[noreturn]] void fail_child(int fd, Report what) {
  report(fd, what, errno);
  ::_exit(127);
}

// Signals ignored by turnout stay ignored across exec, and its mask (the agent blocks the signals
// a thread waits for) is inherited: the slot starts with neither, as from a shell.
void reset_signals() {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int signal = 1; signal < NSIG; ++signal) {
    struct sigaction current {};
    if (::sigaction(signal, nullptr, &current) != 0 || current.sa_handler != SIG_IGN) continue;
    struct sigaction fallback {};
    fallback.sa_handler = SIG_DFL;
    ::sigaction(signal, &fallback, nullptr);
  }
}

// Descriptors turnout opened without O_CLOEXEC (a library's socket, say) must not live on in a
// slot that outlives turnout: a listening socket kept open there would block turnout's restart.
void close_on_exec_from_3(int max_fd) {
  if (::close_range(STDERR_FILENO + 1, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  for (int fd = STDERR_FILENO + 1; fd < max_fd; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

// The grandchild: waits for the go-ahead, then becomes the slot.
[[noreturn]] void become_slot(const Launch& launch) {
  const int channel = launch.theirs.get();
  char go = 0;
  ssize_t n = 0;
  do n = ::recv(channel, &go, 1, 0);
  while (n < 0 && errno == EINTR);
  if (n != 1 || go != kGo) ::_exit(0);  // turnout gave up on this start, or died meanwhile
  if (::setsid() < 0) fail_child(channel, Report::setsid_failed);
  ::dup2(launch.null.get(), STDIN_FILENO);
  ::dup2(launch.log.get(), STDOUT_FILENO);
  ::dup2(launch.log.get(), STDERR_FILENO);
  if (launch.cwd != nullptr && ::chdir(launch.cwd) != 0) fail_child(channel, Report::chdir_failed);
  reset_signals();
  close_on_exec_from_3(launch.max_fd);
  ::execve(launch.path.c_str(), launch.argv_ptrs.data(), launch.env_ptrs.data());
  fail_child(channel, Report::exec_failed);
}

// The intermediate: forks the slot, tells turnout its pid, and exits so that init adopts it.
[[noreturn]] void start_intermediate(const Launch& launch) {
  ::close(launch.ours.get());  // so that the slot sees end of file should turnout die
  const pid_t pid = ::fork();
  if (pid == 0) become_slot(launch);
  if (pid < 0) fail_child(launch.theirs.get(), Report::fork_failed);
  report(launch.theirs.get(), Report::started, pid);
  ::_exit(0);
}

// Reads one message; nullopt at end of file (every child's end closed: exec'd or exited).
std::optional<Message> receive(int fd) {
  Message message{};
  std::size_t got = 0;
  while (got < sizeof message) {
    const ssize_t n = ::recv(fd, reinterpret_cast<char*>(&message) + got, sizeof message - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    got += static_cast<std::size_t>(n);
  }
  return message;
}

void reap(pid_t pid) {
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

util::Error child_error(const Message& message, const SlotLaunch& slot, const std::string& bash) {
  const std::string reason = error_text(message.value);
  switch (message.what) {
    case Report::fork_failed:
      return util::fail("cannot start the slot: fork: " + reason);
    case Report::setsid_failed:
      return util::fail("cannot start the slot: setsid: " + reason);
    case Report::chdir_failed:
      return util::fail("cannot start the slot in '" + slot.cwd + "': " + reason);
    default:
      return util::fail("cannot start the slot: cannot run '" + bash + "': " + reason);
  }
}

util::Result<std::optional<util::ProcessIdentity>> start_supervised(const SlotLaunch& slot) {
  Launch launch;
  if (auto error = prepare(launch, slot)) return *error;
  const pid_t intermediate = ::fork();
  if (intermediate < 0) return util::fail("cannot start the slot: fork: " + error_text(errno));
  if (intermediate == 0) start_intermediate(launch);
  // Only the children may hold their end, or we would never see end of file.
  launch.theirs.reset();
  const auto first = receive(launch.ours.get());
  reap(intermediate);
  if (!first) return util::fail("cannot start the slot: its starter ended without a word");
  if (first->what != Report::started) return child_error(*first, slot, launch.path);
  const pid_t pid = first->value;
  // The slot is blocked before exec, so it is there to identify; exec keeps its start time.
  const auto identity = util::identify(pid);
  if (!identity) {
    launch.ours.reset();  // no go-ahead: it exits without running anything
    return util::fail("cannot start the slot: cannot read /proc/" + std::to_string(pid) + "/stat");
  }
  // A go-ahead that cannot be sent means the child is gone: receive() below then reads its end.
  [[maybe_unused]] const ssize_t sent = ::send(launch.ours.get(), &kGo, 1, MSG_NOSIGNAL);
  if (const auto failure = receive(launch.ours.get())) return child_error(*failure, slot, launch.path);
  return std::optional<util::ProcessIdentity>(*identity);
}

// True once no process of the group is left (zombies do not count), waiting at most `limit`.
bool wait_gone(pid_t group, Clock::duration limit) {
  const auto deadline = Clock::now() + limit;
  while (process_group_alive(group)) {
    const auto now = Clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(kTick, deadline - now));
  }
  return true;
}

// TERM to `group`, KILL after `grace`; returns once it is gone.
util::Status stop_group(pid_t group, util::Duration grace) {
  ::kill(-group, SIGTERM);
  ::kill(-group, SIGCONT);  // a stopped member would only see the TERM once continued
  if (wait_gone(group, grace)) return util::Ok{};
  // Still safe: while any member lives, Linux keeps the group's id from being given to another.
  ::kill(-group, SIGKILL);
  if (wait_gone(group, kKillWait)) return util::Ok{};
  return util::fail("slot process " + std::to_string(group) + ": its process group still runs " +
                    util::format_duration(std::chrono::duration_cast<util::Duration>(kKillWait)) +
                    " after SIGKILL (stuck in the kernel?)");
}

util::Status stop_supervised(const util::ProcessIdentity& process, util::Duration grace) {
  if (!slot_alive(process)) return util::Ok{};
  // A session leader leads its group for good (setpgid refuses it), so -pid is the slot's group.
  return stop_group(process.pid, grace);
}

}  // namespace

bool started_for(pid_t pid, const std::string& slot, const std::string& releases) {
  const auto release = util::started_with(pid, "TURNOUT_RELEASE_DIR");
  return release && util::started_with(pid, "TURNOUT_SLOT") == slot && !releases.empty() &&
         release->rfind(releases + "/", 0) == 0;
}

util::Result<std::optional<util::ProcessIdentity>> start_slot(const SlotLaunch& launch,
                                                              util::Duration command_timeout) {
  if (launch.start.empty()) return util::fail("cannot start the slot: it has no start command");
  if (auto error = check_directory(launch.cwd)) return *error;
  if (launch.stop.empty()) return start_supervised(launch);
  const auto status = run_command("start", launch.start, launch, command_timeout);
  if (!status) return status.error();
  return std::optional<util::ProcessIdentity>();
}

util::Status stop_slot(const SlotLaunch& launch, const std::optional<util::ProcessIdentity>& process,
                       util::Duration grace) {
  if (!launch.stop.empty()) {
    return run_command("stop", launch.stop, launch,
                       grace + std::chrono::duration_cast<util::Duration>(kStopCommandSlack));
  }
  if (!process) return util::Ok{};
  return stop_supervised(*process, grace);
}

bool slot_alive(const util::ProcessIdentity& process) { return util::is_alive(process); }

std::vector<pid_t> stop_escaped(int port, const std::string& slot, const std::string& releases,
                                util::Duration grace) {
  std::vector<pid_t> stopped;
  for (const pid_t pid : util::listening_processes(port)) {
    if (!started_for(pid, slot, releases)) continue;
    // Its own group when it made one (setsid); never turnout's own.
    const pid_t group = ::getpgid(pid);
    if (group > 0 && group != ::getpgid(0)) {
      (void)stop_group(group, grace);  // what is still there is reported by the port check after
    } else {
      ::kill(pid, SIGKILL);
    }
    stopped.push_back(pid);
  }
  return stopped;
}

}  // namespace turnout::steps::deploy
