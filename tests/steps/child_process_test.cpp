#include "steps/child_process.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "steps/secret_masker.h"
#include "tests/support/sleeping_child.h"
#include "tests/support/temp_dir.h"
#include "util/process_identity.h"

using namespace std::chrono_literals;
using turnout::steps::CancelToken;
using turnout::steps::process_group_alive;
using turnout::steps::ProcessOutcome;
using turnout::steps::ProcessSpec;
using turnout::steps::run_process;
using turnout::steps::SecretMasker;
using turnout::steps::Stream;

namespace {

const std::string kPath = "PATH=/usr/local/bin:/usr/bin:/bin";

struct Line {
  Stream stream;
  std::chrono::system_clock::time_point time;
  std::string text;
};

struct Run {
  ProcessOutcome outcome;
  std::vector<Line> lines;

  std::vector<std::string> texts(Stream stream) const {
    std::vector<std::string> out;
    for (const auto& line : lines)
      if (line.stream == stream) out.push_back(line.text);
    return out;
  }
  // The step prints `$$` first: bash's pid, which is the id of the group it leads.
  pid_t pgid() const { return static_cast<pid_t>(std::stol(texts(Stream::out).at(0))); }
};

ProcessSpec bash(const std::string& script) {
  ProcessSpec spec;
  spec.argv = {"bash", "--noprofile", "--norc", "-c", script};
  spec.env = {kPath};
  return spec;
}

Run run(const ProcessSpec& spec, const SecretMasker& masker = {}, const CancelToken* cancel = nullptr) {
  const CancelToken never;
  Run result;
  auto outcome = run_process(
      spec, masker,
      [&result](Stream stream, auto time, std::string_view text) {
        result.lines.push_back({stream, time, std::string(text)});
      },
      cancel != nullptr ? *cancel : never);
  if (!outcome) FAIL(outcome.error().message);
  result.outcome = outcome.value();
  return result;
}

// Live (non-zombie) members of a group, as `ps` sees them: "pid comm" each.
std::vector<std::string> live_members(pid_t pgid) {
  std::vector<std::string> members;
  FILE* ps = ::popen("ps -e -o pgid=,pid=,stat=,comm=", "r");
  REQUIRE(ps != nullptr);
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, ps) != nullptr) {
    std::istringstream fields(buffer);
    long group = 0;
    long pid = 0;
    std::string stat;
    std::string comm;
    fields >> group >> pid >> stat >> comm;
    if (group == pgid && !stat.starts_with("Z")) members.push_back(std::to_string(pid) + " " + comm);
  }
  ::pclose(ps);
  return members;
}

std::size_t resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stoul(line.substr(6));
  }
  return 0;
}

}  // namespace

TEST_CASE("run_process reports the exit code", "[unit][steps]") {
  CHECK(run(bash("exit 0")).outcome.exit_code == 0);
  const auto failed = run(bash("exit 3")).outcome;
  CHECK(failed.exit_code == 3);
  CHECK(failed.signal == 0);
  CHECK_FALSE(failed.timed_out);
  CHECK_FALSE(failed.cancelled);
}

TEST_CASE("run_process reports the signal that killed the process", "[unit][steps]") {
  const auto outcome = run(bash("kill -KILL $$")).outcome;
  CHECK(outcome.exit_code == -1);
  CHECK(outcome.signal == SIGKILL);
}

TEST_CASE("run_process gives the child exactly spec.env", "[unit][steps]") {
  ProcessSpec spec;
  spec.argv = {"env"};  // found through PATH of spec.env
  spec.env = {kPath, "TURNOUT_BRANCH=feature/$(rm -rf x)", "EMPTY="};
  const auto result = run(spec);
  CHECK(result.outcome.exit_code == 0);
  CHECK(result.texts(Stream::out) == spec.env);
}

TEST_CASE("run_process looks the program up in PATH of spec.env, not ours", "[unit][steps]") {
  const turnout::test::TempDir dir;
  const auto probe = dir.write("bin/turnout-probe", "#!/bin/sh\necho found \"$1\"\n");
  ::chmod(probe.c_str(), 0755);
  ProcessSpec spec;
  spec.argv = {"turnout-probe", "it"};
  spec.env = {"PATH=/nonexistent:" + (dir / "bin").string() + ":/usr/bin:/bin"};
  const auto result = run(spec);
  CHECK(result.outcome.exit_code == 0);
  CHECK(result.texts(Stream::out) == std::vector<std::string>{"found it"});
}

TEST_CASE("run_process runs in spec.cwd with stdin from /dev/null", "[unit][steps]") {
  const turnout::test::TempDir dir;
  auto spec = bash("pwd -P; readlink /proc/$$/fd/0; cat; echo done");
  spec.cwd = dir.path().string();
  const auto result = run(spec);
  CHECK(result.outcome.exit_code == 0);
  CHECK(result.texts(Stream::out) ==
        std::vector<std::string>{std::filesystem::canonical(dir.path()).string(), "/dev/null", "done"});
}

TEST_CASE("run_process starts the child with default signal handling", "[unit][steps]") {
  // Block TERM and ignore PIPE and INT here, as an agent with a signal thread would.
  sigset_t blocked;
  sigset_t previous;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &blocked, &previous);
  const auto old_pipe = ::signal(SIGPIPE, SIG_IGN);
  const auto old_int = ::signal(SIGINT, SIG_IGN);
  const auto result = run(bash("grep -E '^Sig(Blk|Ign):' /proc/self/status"));
  ::signal(SIGINT, old_int);
  ::signal(SIGPIPE, old_pipe);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  const auto lines = result.texts(Stream::out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "SigBlk:\t0000000000000000");
  REQUIRE(lines[1].starts_with("SigIgn:\t"));
  const unsigned long long ignored = std::stoull(lines[1].substr(8), nullptr, 16);
  for (int signal : {SIGINT, SIGTERM, SIGPIPE, SIGQUIT}) {
    INFO("signal " << signal);
    CHECK((ignored & (1ULL << (signal - 1))) == 0);
  }
}

TEST_CASE("run_process fails clearly when the process cannot start", "[unit][steps]") {
  const SecretMasker none;
  const CancelToken cancel;
  const auto sink = [](Stream, auto, std::string_view) {};
  auto spec = bash("true");
  spec.cwd = "/nonexistent/turnout-dir";
  const auto no_dir = run_process(spec, none, sink, cancel);
  REQUIRE_FALSE(no_dir.ok());
  CHECK(no_dir.error().message ==
        "cannot start 'bash': No such file or directory (cwd /nonexistent/turnout-dir)");

  spec = bash("true");
  spec.argv[0] = "turnout-no-such-program";
  const auto no_program = run_process(spec, none, sink, cancel);
  REQUIRE_FALSE(no_program.ok());
  CHECK(no_program.error().message.starts_with(
      "cannot start 'turnout-no-such-program': No such file or directory (cwd "));
}

TEST_CASE("run_process tags stdout and stderr lines and keeps a partial last line", "[unit][steps]") {
  const auto before = std::chrono::system_clock::now();
  const auto result = run(bash("echo out1; echo err1 >&2; printf 'out2'; printf 'err2' >&2"));
  const auto after = std::chrono::system_clock::now();
  CHECK(result.texts(Stream::out) == std::vector<std::string>{"out1", "out2"});
  CHECK(result.texts(Stream::err) == std::vector<std::string>{"err1", "err2"});
  for (const auto& line : result.lines) CHECK((line.time >= before && line.time <= after));
}

TEST_CASE("run_process masks secrets, even split across two writes", "[unit][steps]") {
  const SecretMasker masker({"abcdef", "hunter2"});
  const auto result =
      run(bash("printf 'abc'; sleep 0.1; printf 'def\\n'; echo 'pw hunter2' >&2; echo clean"), masker);
  CHECK(result.texts(Stream::out) == std::vector<std::string>{"***", "clean"});
  CHECK(result.texts(Stream::err) == std::vector<std::string>{"pw ***"});
}

TEST_CASE("run_process ends the whole group on timeout", "[unit][steps]") {
  auto spec = bash("echo $$; sleep 1000 & sleep 1000");
  spec.timeout = 300ms;
  spec.kill_grace = 200ms;
  const auto start = std::chrono::steady_clock::now();
  const auto result = run(spec);
  CHECK(result.outcome.timed_out);
  CHECK_FALSE(result.outcome.cancelled);
  CHECK(result.outcome.signal == SIGTERM);
  CHECK(result.outcome.duration >= 300ms);
  CHECK(std::chrono::steady_clock::now() - start < 60s);
  CHECK_FALSE(process_group_alive(result.pgid()));
  CHECK(live_members(result.pgid()).empty());
}

TEST_CASE("run_process kills a group that ignores TERM after the grace period", "[unit][steps]") {
  auto spec = bash("trap '' TERM; echo $$; sleep 1000 & sleep 1000");
  spec.timeout = 200ms;
  spec.kill_grace = 300ms;
  const auto result = run(spec);
  CHECK(result.outcome.timed_out);
  CHECK(result.outcome.signal == SIGKILL);
  CHECK(result.outcome.duration >= 500ms);
  CHECK_FALSE(process_group_alive(result.pgid()));
  CHECK(live_members(result.pgid()).empty());
}

TEST_CASE("run_process kills what a successful step leaves behind", "[unit][steps]") {
  auto spec = bash("echo $$; sleep 1000 & echo started; exit 0");
  spec.kill_grace = 2000ms;
  const auto result = run(spec);
  CHECK(result.outcome.exit_code == 0);
  CHECK_FALSE(result.outcome.timed_out);
  CHECK(result.texts(Stream::out).at(1) == "started");
  CHECK(result.outcome.duration < 60s);
  CHECK_FALSE(process_group_alive(result.pgid()));
  CHECK(live_members(result.pgid()).empty());
}

TEST_CASE("run_process does not wait for a process that left the group but holds the pipe", "[unit][steps]") {
  // setsid puts sleep in a group of its own, beyond our reach, with our stdout still open.
  const auto result = run(bash("setsid sleep 30 & echo $!; exit 0"));
  const pid_t escaped = static_cast<pid_t>(std::stol(result.texts(Stream::out).at(0)));
  ::kill(escaped, SIGKILL);
  CHECK(result.outcome.exit_code == 0);
  CHECK(result.outcome.duration < 20s);
}

TEST_CASE("run_process ends the whole group when cancelled", "[unit][steps]") {
  CancelToken cancel;
  std::thread canceller([&cancel] {
    std::this_thread::sleep_for(200ms);
    cancel.cancel();
  });
  const auto result = run(bash("echo $$; sleep 1000 & sleep 1000"), {}, &cancel);
  canceller.join();
  CHECK(result.outcome.cancelled);
  CHECK_FALSE(result.outcome.timed_out);
  CHECK(result.outcome.exit_code == -1);
  CHECK(result.outcome.duration < 60s);
  CHECK_FALSE(process_group_alive(result.pgid()));
  CHECK(live_members(result.pgid()).empty());
}

TEST_CASE("run_process still ends the group when the sink throws", "[unit][steps]") {
  const SecretMasker none;
  const CancelToken cancel;
  pid_t pgid = 0;
  const auto sink = [&pgid](Stream, auto, std::string_view line) {
    pgid = static_cast<pid_t>(std::stol(std::string(line)));
    throw std::runtime_error("observer failed");
  };
  CHECK_THROWS_WITH(run_process(bash("echo $$; sleep 1000 & sleep 1000"), none, sink, cancel),
                    "observer failed");
  REQUIRE(pgid > 0);
  // SIGKILL is sent before the throw goes on, but a member may take a moment to die.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (process_group_alive(pgid) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  CHECK_FALSE(process_group_alive(pgid));
  CHECK(live_members(pgid).empty());
}

TEST_CASE("process_group_alive is false for a group that does not exist", "[unit][steps]") {
  CHECK_FALSE(process_group_alive(0));
  CHECK_FALSE(process_group_alive(-1));
  CHECK(process_group_alive(::getpgrp()));  // ours, with this very process in it
}

TEST_CASE("run_process streams 100 MB with flat memory", "[unit][steps]") {
  const SecretMasker none;
  const CancelToken cancel;
  std::size_t lines = 0;
  std::size_t bytes = 0;
  const std::size_t rss_before = resident_kib();
  std::size_t rss_peak = rss_before;
  const auto sink = [&](Stream, auto, std::string_view line) {
    bytes += line.size();
    if (++lines % 20000 == 0) rss_peak = std::max(rss_peak, resident_kib());
  };
  // 1,000,000 lines of 99 'x' and a newline.
  const auto outcome =
      run_process(bash("yes \"$(printf 'x%.0s' {1..99})\" | head -c 100000000"), none, sink, cancel);
  REQUIRE(outcome.ok());
  CHECK(outcome.value().exit_code == 0);
  CHECK(lines == 1000000);
  CHECK(bytes == 99000000);
  CHECK(rss_peak - rss_before < 32 * 1024);
}

TEST_CASE("end_orphaned_group ends a recorded group, and never one whose leader pid was reused",
          "[unit][steps]") {
  turnout::test::SleepingChild child(turnout::test::SleepingChild::Group::own);
  const pid_t pid = child.pid();
  const auto leader = turnout::util::identify(pid);
  REQUIRE(leader);

  // Another start time: the pid now belongs to someone else, so hands off.
  const turnout::util::ProcessIdentity stranger{pid, leader->start_time + 1};
  CHECK_FALSE(turnout::steps::end_orphaned_group(stranger, std::chrono::milliseconds(200)));
  CHECK(::kill(pid, 0) == 0);

  CHECK(turnout::steps::end_orphaned_group(*leader, std::chrono::milliseconds(200)));
  CHECK(WIFSIGNALED(child.reap()));
  CHECK_FALSE(turnout::steps::process_group_alive(pid));
}
