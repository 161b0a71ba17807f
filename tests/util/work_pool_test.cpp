#include "util/work_pool.h"

#include <atomic>
#include <catch2/catch.hpp>
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
