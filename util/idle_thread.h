#pragma once
// Work that should wait for a machine with time to spare, done without lowering the caller: a
// thread's CPU class and I/O priority can only be lowered by an unprivileged process, never
// raised again, and what a thread forks inherits them. So the work runs on a thread of its own,
// lowered, and the caller waits for it, keeping its own priority (and that of what it starts
// later, a deploy's slots) untouched.

#include <exception>
#include <optional>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>

namespace turnout::util {

/// Puts the calling thread (only it) in the idle CPU class (SCHED_BATCH at nice 19 with the
/// longest slice where the kernel keeps one, else SCHED_IDLE) and the lowest level of the
/// best-effort I/O class. Returns false when the kernel refused either.
bool lower_this_thread();

/// Runs `work` on a new thread lowered by lower_this_thread() and returns what it returned,
/// or throws what it threw; the caller's thread waits. When no thread can be started, `work`
/// runs on the caller's thread, at the caller's priority: late rather than not at all.
template <typename Work>
auto on_idle_thread(Work&& work) -> std::invoke_result_t<Work&> {
  using Result = std::invoke_result_t<Work&>;
  std::optional<std::conditional_t<std::is_void_v<Result>, bool, Result>> result;
  std::exception_ptr thrown;
  const auto run = [&] {
    try {
      if constexpr (std::is_void_v<Result>) {
        work();
        result.emplace(true);
      } else {
        result.emplace(work());
      }
    } catch (...) {
      thrown = std::current_exception();
    }
  };
  try {
    std::thread([&] {
      lower_this_thread();
      run();
    }).join();
  } catch (const std::system_error&) {
    run();
  }
  if (thrown) std::rethrow_exception(thrown);
  if constexpr (!std::is_void_v<Result>) return std::move(*result);
}

}  // namespace turnout::util
