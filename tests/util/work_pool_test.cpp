#include "util/work_pool.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

using turnout::util::WorkPool;

TEST_CASE("a work pool refuses new jobs beyond its bound but never a continuation", "[unit][util]") {
  WorkPool pool("test-pool", 1, 2);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  // The one thread is held, so every later job waits.
  REQUIRE(pool.try_submit([&] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();
  std::atomic<int> ran{0};
  CHECK(pool.try_submit([&] { ++ran; }));
  CHECK(pool.try_submit([&] { ++ran; }));
  CHECK(pool.waiting() == 2);
  CHECK_FALSE(pool.try_submit([&] { ran += 100; }));
  CHECK(pool.submit([&] { ++ran; }));
  CHECK(pool.waiting() == 3);
  release.set_value();
  pool.stop();
  CHECK(ran == 3);
}

TEST_CASE("a stopped work pool has run what was queued and takes nothing more", "[unit][util]") {
  WorkPool pool("test-pool", 2, 100);
  std::atomic<int> ran{0};
  for (int i = 0; i < 50; ++i) REQUIRE(pool.try_submit([&] { ++ran; }));
  pool.stop();
  CHECK(ran == 50);
  CHECK_FALSE(pool.try_submit([&] { ++ran; }));
  CHECK_FALSE(pool.submit([&] { ++ran; }));
  pool.stop();  // idempotent
  CHECK(ran == 50);
}

TEST_CASE("a work pool bound of 0 still takes a job that a free thread starts at once", "[unit][util]") {
  WorkPool pool("test-pool", 1, 0);
  // The thread runs nothing: the job has nowhere to wait, but needs not to.
  REQUIRE(pool.idle() == 1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  REQUIRE(pool.try_submit([&] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();
  // Now the thread is busy, and a new job would wait: refused.
  CHECK_FALSE(pool.try_submit([] {}));
  release.set_value();
  pool.stop();
}

namespace {

// Threads of this process named `name`, as the kernel lists them.
int threads_named(const std::string& name) {
  int count = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string line;
    if (std::getline(comm, line) && line == name) ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("a work pool starts a thread only when a job finds none free", "[unit][util]") {
  WorkPool pool("lazy-pool", 4, 10);
  CHECK(threads_named("lazy-pool") == 0);
  std::promise<void> first_ran;
  REQUIRE(pool.try_submit([&] { first_ran.set_value(); }));
  first_ran.get_future().wait();
  while (pool.idle() < 4) std::this_thread::yield();  // the first job is over
  CHECK(threads_named("lazy-pool") == 1);
  // Two jobs held at once: the free thread takes one, a second thread the other.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> started{0};
  for (int i = 0; i < 2; ++i) {
    REQUIRE(pool.try_submit([&] {
      ++started;
      released.wait();
    }));
  }
  while (started < 2) std::this_thread::yield();
  CHECK(threads_named("lazy-pool") == 2);
  CHECK(pool.idle() == 2);  // two more may start
  release.set_value();
  pool.stop();
}

namespace {

// What the child of the next test found, as its exit code.
enum ThreadlessOutcome {
  kAsExpected = 0,
  kCannotDropRoot = 10,  // root is not held to RLIMIT_NPROC, so the child becomes nobody
  kCannotLimit = 11,
  kThrew = 12,            // push let the failed thread start escape
  kFirstAccepted = 13,    // a job was taken with no thread to ever run it
  kFirstLeftQueued = 14,  // a refused job stayed queued, to run later unasked
  kSecondRefused = 15,    // a job was refused though a started thread would take it
  kSecondNeverRan = 16,
};

// Lowers (or restores) the soft limit on this user's threads: at 0, no thread can start.
bool limit_threads(rlim_t soft) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NPROC, &limit) != 0) return false;
  limit.rlim_cur = soft;
  return ::setrlimit(RLIMIT_NPROC, &limit) == 0;
}

// In a child process: a pool whose threads cannot start.
int push_without_threads() {
  if (::getuid() == 0 && ::setuid(65534) != 0) return kCannotDropRoot;
  rlimit original{};
  ::getrlimit(RLIMIT_NPROC, &original);
  WorkPool pool("threadless", 2, 4);
  try {
    if (!limit_threads(0)) return kCannotLimit;
    if (pool.try_submit([] {})) return kFirstAccepted;
    if (pool.waiting() != 0) return kFirstLeftQueued;
    if (!limit_threads(original.rlim_cur)) return kCannotLimit;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<void> first_started;
    if (!pool.try_submit([&] {
          first_started.set_value();
          released.wait();
        }))
      return kFirstAccepted;
    first_started.get_future().wait();
    // The one thread is busy and no second can start: the job waits for the first.
    if (!limit_threads(0)) return kCannotLimit;
    std::promise<void> second_ran;
    if (!pool.try_submit([&] { second_ran.set_value(); })) return kSecondRefused;
    release.set_value();
    if (second_ran.get_future().wait_for(std::chrono::seconds(10)) != std::future_status::ready)
      return kSecondNeverRan;
    pool.stop();
  } catch (const std::exception&) {
    return kThrew;
  }
  return kAsExpected;
}

}  // namespace

TEST_CASE(
    "a work pool that cannot start a thread refuses the job it has none for, and keeps one a thread will "
    "take",
    "[unit][util]") {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(push_without_threads());
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == kCannotDropRoot || WEXITSTATUS(status) == kCannotLimit) {
    WARN("skipped: this process cannot limit its threads (exit " << WEXITSTATUS(status) << ")");
    return;
  }
  CHECK(WEXITSTATUS(status) == kAsExpected);
}
