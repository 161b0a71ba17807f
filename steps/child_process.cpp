#include "steps/child_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>

#include "steps/line_splitter.h"
#include "steps/secret_masker.h"
#include "steps/unique_fd.h"
#include "util/exec.h"

namespace turnout::steps {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kPipeSize = 1024 * 1024;
// How often we look again when nothing can wake poll(): no pidfd, or waiting for a group to die.
constexpr auto kTick = std::chrono::milliseconds(50);
// After SIGKILL a process only lingers in uninterruptible sleep (a hung NFS mount, say); past this
// we stop waiting rather than hang the run forever.
constexpr auto kKillWait = std::chrono::seconds(10);
// Bytes read from a pipe after the group is gone: what it holds, but not an escaped writer's
// endless stream.
constexpr std::size_t kDrainLimit = 64 * 1024 * 1024;

std::string error_text(int error) { return std::strerror(error); }

// ---------------------------------------------------------------------------------------------
// Starting the process.

util::Error start_error(const ProcessSpec& spec, const std::string& why) {
  std::error_code ignored;
  const std::string cwd = spec.cwd.empty() ? std::filesystem::current_path(ignored).string() : spec.cwd;
  return util::fail("cannot start '" + spec.argv.front() + "': " + why + " (cwd " + cwd + ")");
}

util::Error start_error(const ProcessSpec& spec, int error) { return start_error(spec, error_text(error)); }

struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// A new process group (so the whole group can be signalled), default signal handling whatever
// the agent blocks or ignores, stdin from /dev/null, stdout and stderr into our pipes.
void prepare(SpawnSetup& setup, const ProcessSpec& spec, int out, int err) {
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&setup.actions, spec.cwd.c_str());
  posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // dup2 onto 1 and 2 clears close-on-exec there; the originals close at exec.
  posix_spawn_file_actions_adddup2(&setup.actions, out, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, err, STDERR_FILENO);
  posix_spawnattr_setflags(&setup.attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&setup.attr, 0);
  sigset_t signals;
  sigemptyset(&signals);
  posix_spawnattr_setsigmask(&setup.attr, &signals);
  for (int signal : {SIGINT, SIGTERM, SIGPIPE, SIGQUIT}) sigaddset(&signals, signal);
  posix_spawnattr_setsigdefault(&setup.attr, &signals);
}

// Returns the pid, or an errno value as a negative number.
pid_t spawn(const ProcessSpec& spec, const std::string& path, int out, int err) {
  const auto argv = util::c_strings(spec.argv);
  const auto envp = util::c_strings(spec.env);
  // posix_spawn cannot lower a child's priority or limit it before it runs: a fork can.
  if (spec.limits)
    return spawn_limited({path.c_str(), argv.data(), envp.data(), spec.cwd.c_str(), out, err, *spec.limits});
  SpawnSetup setup;
  prepare(setup, spec, out, err);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, path.c_str(), &setup.actions, &setup.attr, argv.data(), envp.data());
  return rc == 0 ? pid : -rc;
}

struct PipePair {
  UniqueFd read;
  UniqueFd write;
};

// Both ends close-on-exec so that no other step, started concurrently, inherits them.
int make_pipe(PipePair& pipe) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno;
  pipe.read.reset(fds[0]);
  pipe.write.reset(fds[1]);
  // Fewer wake-ups with a chatty child; the system may refuse, and 64 KiB still works.
  ::fcntl(fds[0], F_SETPIPE_SZ, kPipeSize);
  // Never block on a pipe that a process outside the group may still hold open.
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Watching it until the whole group has ended.

// One output pipe with its line splitter; the sink closure is made once, not per read.
struct OutputPipe {
  OutputPipe(Stream s, UniqueFd f, const SecretMasker& masker, const OutputSink& out)
      : stream(s), fd(std::move(f)), splitter(masker) {
    line_sink = [this, &out](std::string_view line) { out(stream, time, line); };
  }
  OutputPipe(const OutputPipe&) = delete;
  OutputPipe& operator=(const OutputPipe&) = delete;

  Stream stream;
  UniqueFd fd;
  LineSplitter splitter;
  std::chrono::system_clock::time_point time;  ///< when the bytes being split were read
  LineSplitter::Sink line_sink;
};

enum class Phase { running, terminating, killing };

class Supervisor {
 public:
  Supervisor(pid_t pid, const ProcessSpec& spec, const CancelToken& cancel, Clock::time_point start,
             std::unique_ptr<char[]> buffer)
      : pid_(pid), spec_(spec), cancel_(cancel), start_(start), buffer_(std::move(buffer)) {
    // pidfd_open may be missing (kernel < 5.3, seccomp); the tick then notices the exit.
    pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (spec.timeout) deadline_ = start + *spec.timeout;
  }
  // Only when run() did not complete (the sink threw): the group still ends and the child is reaped.
  ~Supervisor() {
    if (done_) return;
    if (!main_exited_) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    } else if (process_group_alive(pid_)) {
      ::kill(-pid_, SIGKILL);  // reaped leader: only while members live is the group id ours
    }
  }
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  ProcessOutcome run(OutputPipe& out, OutputPipe& err);

 private:
  void wait_and_read(std::array<OutputPipe*, 2> pipes);
  int poll_timeout_ms() const;
  bool read_some(OutputPipe& pipe);
  void close_pipe(OutputPipe& pipe);
  void check_main();
  void check_limits();
  bool group_gone();
  void terminate();
  void escalate();
  void finish(std::array<OutputPipe*, 2> pipes);

  pid_t pid_;  // also the group id: the child leads its own group
  const ProcessSpec& spec_;
  const CancelToken& cancel_;
  Clock::time_point start_;
  std::unique_ptr<char[]> buffer_;
  UniqueFd pidfd_;
  std::optional<Clock::time_point> deadline_;
  Phase phase_ = Phase::running;
  Clock::time_point signalled_at_;
  Clock::time_point next_group_check_;
  bool main_exited_ = false;
  bool given_up_ = false;
  bool done_ = false;
  ProcessOutcome outcome_;
};

ProcessOutcome Supervisor::run(OutputPipe& out, OutputPipe& err) {
  const std::array<OutputPipe*, 2> pipes{&out, &err};
  while (!given_up_) {
    wait_and_read(pipes);
    check_main();
    if (!main_exited_ && phase_ == Phase::running) check_limits();
    if (main_exited_ && group_gone()) break;
    // The main process is gone but left some of its group behind: no orphan survives a step.
    if (main_exited_ && phase_ == Phase::running) terminate();
    escalate();
  }
  finish(pipes);
  return outcome_;
}

void Supervisor::wait_and_read(std::array<OutputPipe*, 2> pipes) {
  std::array<pollfd, 4> fds{};
  std::array<OutputPipe*, 4> owners{};
  nfds_t count = 0;
  for (OutputPipe* pipe : pipes) {
    if (!pipe->fd) continue;
    owners[count] = pipe;
    fds[count++] = {pipe->fd.get(), POLLIN, 0};
  }
  // Once acted upon, the token and the pidfd stay readable: polling them again would spin.
  if (phase_ == Phase::running) fds[count++] = {cancel_.fd(), POLLIN, 0};
  if (pidfd_) fds[count++] = {pidfd_.get(), POLLIN, 0};
  if (::poll(fds.data(), count, poll_timeout_ms()) <= 0) return;
  for (nfds_t i = 0; i < count; ++i) {
    if (owners[i] != nullptr && fds[i].revents != 0) read_some(*owners[i]);
  }
}

int Supervisor::poll_timeout_ms() const {
  const auto now = Clock::now();
  std::optional<Clock::time_point> wake;
  const auto consider = [&wake](Clock::time_point at) { wake = wake ? std::min(*wake, at) : at; };
  if (phase_ == Phase::running && deadline_) consider(*deadline_);
  if (phase_ == Phase::terminating) consider(signalled_at_ + spec_.kill_grace);
  if (phase_ == Phase::killing) consider(signalled_at_ + kKillWait);
  // Nothing wakes poll() when the last member of a group dies, nor at exit without a pidfd.
  if (!pidfd_ || phase_ != Phase::running) consider(now + kTick);
  if (!wake) return -1;
  const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*wake - now).count();
  return static_cast<int>(std::clamp<decltype(wait)>(wait, 0, INT_MAX));
}

// Reads one chunk; all its lines get one timestamp. Returns false when nothing more is there now.
bool Supervisor::read_some(OutputPipe& pipe) {
  const ssize_t n = ::read(pipe.fd.get(), buffer_.get(), kReadChunk);
  if (n > 0) {
    pipe.time = std::chrono::system_clock::now();
    pipe.splitter.feed(std::string_view(buffer_.get(), static_cast<std::size_t>(n)), pipe.line_sink);
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
  close_pipe(pipe);  // end of file, or an error that will not go away
  return false;
}

void Supervisor::close_pipe(OutputPipe& pipe) {
  pipe.splitter.finish(pipe.line_sink);
  pipe.fd.reset();
}

// Notices the exit, then reaps the main process at once. Signalling the group afterwards is still
// safe: Linux keeps a pid number allocated while it is any live process's group id, so it cannot
// be handed to a stranger; and once reaped, kill(-pgid, 0) answers ESRCH for an empty group
// without a scan of /proc, which is the common case and the cost of every step.
void Supervisor::check_main() {
  if (main_exited_) return;
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    // ECHILD: someone set SIGCHLD to SIG_IGN and the kernel reaped it; its status is lost.
    if (errno != ECHILD) return;
    main_exited_ = true;
    pidfd_.reset();
    return;
  }
  if (info.si_pid != pid_) return;  // still running
  main_exited_ = true;
  pidfd_.reset();
  rusage used{};
  if (::wait4(pid_, nullptr, 0, &used) == pid_) {
    const auto cpu = std::chrono::seconds(used.ru_utime.tv_sec + used.ru_stime.tv_sec) +
                     std::chrono::microseconds(used.ru_utime.tv_usec + used.ru_stime.tv_usec);
    outcome_.usage = ResourceUse{static_cast<std::uint64_t>(used.ru_maxrss) * 1024,
                                 std::chrono::duration_cast<util::Duration>(cpu)};
  }
  if (info.si_code == CLD_EXITED) {
    outcome_.exit_code = info.si_status;
  } else {
    outcome_.exit_code = -1;
    outcome_.signal = info.si_status;
  }
}

void Supervisor::check_limits() {
  if (cancel_.cancelled()) {
    outcome_.cancelled = true;
    terminate();
  } else if (deadline_ && Clock::now() >= *deadline_) {
    outcome_.timed_out = true;
    terminate();
  }
}

// Scanning /proc costs a few milliseconds on a busy machine: at most once per tick.
bool Supervisor::group_gone() {
  const auto now = Clock::now();
  if (now < next_group_check_) return false;
  next_group_check_ = now + kTick;
  return !process_group_alive(pid_);
}

void Supervisor::terminate() {
  ::kill(-pid_, SIGTERM);
  // A stopped member would only see the TERM once continued.
  ::kill(-pid_, SIGCONT);
  phase_ = Phase::terminating;
  signalled_at_ = Clock::now();
  next_group_check_ = {};
}

void Supervisor::escalate() {
  const auto now = Clock::now();
  if (phase_ == Phase::terminating && now >= signalled_at_ + spec_.kill_grace) {
    ::kill(-pid_, SIGKILL);
    phase_ = Phase::killing;
    signalled_at_ = now;
  } else if (phase_ == Phase::killing && now >= signalled_at_ + kKillWait) {
    given_up_ = true;
  }
}

// The group is gone: what is left in the pipes is read, then they are closed even if a process
// that escaped the group still holds them.
void Supervisor::finish(std::array<OutputPipe*, 2> pipes) {
  for (OutputPipe* pipe : pipes) {
    std::size_t drained = 0;
    while (pipe->fd && drained < kDrainLimit && read_some(*pipe)) drained += kReadChunk;
    if (pipe->fd) close_pipe(*pipe);
  }
  done_ = true;
  outcome_.duration = std::chrono::duration_cast<util::Duration>(Clock::now() - start_);
}

// ---------------------------------------------------------------------------------------------
// /proc/PID/stat: "pid (comm) state ppid pgrp ...", where comm may hold spaces and parentheses.

bool stat_in_group(const char* pid, pid_t pgid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%s/stat", pid);
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return false;  // it ended while we looked
  char text[1024];
  const ssize_t n = ::read(fd.get(), text, sizeof text - 1);
  if (n <= 0) return false;
  text[n] = '\0';
  const char* close = std::strrchr(text, ')');
  if (close == nullptr) return false;
  char state = 0;
  int ppid = 0;
  int group = 0;
  if (std::sscanf(close + 1, " %c %d %d", &state, &ppid, &group) != 3) return false;
  // Zombies do not count: here PID 1 may never reap orphans, so theirs would linger forever.
  return group == pgid && state != 'Z' && state != 'X';
}

}  // namespace

bool process_group_alive(pid_t pgid) {
  if (pgid <= 0) return false;
  if (::kill(-pgid, 0) != 0 && errno == ESRCH) return false;
  std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
  if (!proc) return true;  // cannot tell: assume the worst
  while (const dirent* entry = ::readdir(proc.get())) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    if (stat_in_group(entry->d_name, pgid)) return true;
  }
  return false;
}

util::Result<ProcessOutcome> run_process(const ProcessSpec& spec, const SecretMasker& masker,
                                         const OutputSink& sink, const CancelToken& cancel) {
  if (spec.argv.empty()) return util::fail("cannot start a process: the command is empty");
  // Looked up in the child's own PATH: posix_spawnp would search ours.
  const auto found = util::find_program(spec.argv.front(), spec.env, spec.cwd);
  if (!found) return start_error(spec, found.error().message);
  const std::string& path = found.value();
  PipePair out;
  PipePair err;
  int error = make_pipe(out);
  if (error == 0) error = make_pipe(err);
  if (error != 0) return start_error(spec, error);
  // Everything that may throw comes before the spawn, or after the Supervisor owns the child.
  OutputPipe out_pipe(Stream::out, std::move(out.read), masker, sink);
  OutputPipe err_pipe(Stream::err, std::move(err.read), masker, sink);
  std::unique_ptr<char[]> buffer(new char[kReadChunk]);
  const auto start = Clock::now();
  const pid_t pid = spawn(spec, path, out.write.get(), err.write.get());
  if (pid < 0) return start_error(spec, -pid);
  Supervisor supervisor(pid, spec, cancel, start, std::move(buffer));
  if (spec.on_started) spec.on_started(pid);
  // Only the child may hold the write ends, or we would never see end of file.
  out.write.reset();
  err.write.reset();
  return supervisor.run(out_pipe, err_pipe);
}

bool end_orphaned_group(const util::ProcessIdentity& leader, util::Duration grace) {
  const auto now_there = util::identify(leader.pid);
  const bool same_leader = now_there && *now_there == leader;
  if (now_there && !same_leader) return false;  // the pid is someone else's now: hands off
  if (!process_group_alive(leader.pid)) return false;
  ::kill(-leader.pid, SIGTERM);
  ::kill(-leader.pid, SIGCONT);
  const auto deadline = Clock::now() + grace;
  while (Clock::now() < deadline && process_group_alive(leader.pid)) std::this_thread::sleep_for(kTick);
  if (process_group_alive(leader.pid)) ::kill(-leader.pid, SIGKILL);
  return true;
}

}  // namespace turnout::steps
