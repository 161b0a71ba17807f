#pragma once
// The kernel's custom time slices (sched_setattr(2), Linux 6.12 and later), spelled out because
// glibc has no wrapper for the call. A CPU-bound process with the longest slice is one that any
// process with the default slice may preempt the moment it wakes (EEVDF's PREEMPT_SHORT), even
// from another session's or cgroup's group, where SCHED_IDLE no longer counts on these kernels.

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace turnout::util {

/// The longest custom slice the kernel accepts, in nanoseconds (100 ms).
constexpr std::uint64_t kLongestSlice = 100'000'000;

/// struct sched_attr of the kernel's uapi (its first version, which every kernel accepts).
struct SchedAttr {
  std::uint32_t size = sizeof(SchedAttr);  ///< of this struct, as the kernel checks it
  std::uint32_t policy = 0;                ///< SCHED_OTHER, SCHED_BATCH, ...
  std::uint64_t flags = 0;                 ///< SCHED_FLAG_*
  std::int32_t nice = 0;                   ///< for the fair policies
  std::uint32_t priority = 0;              ///< for the real-time policies
  std::uint64_t runtime = 0;               ///< ns; for the fair policies: the custom slice
  std::uint64_t deadline = 0;              ///< ns; SCHED_DEADLINE only
  std::uint64_t period = 0;                ///< ns; SCHED_DEADLINE only
};

/// Makes the calling thread SCHED_BATCH with the longest slice, keeping its nice. True only
/// when the kernel kept the slice (it ignores one before 6.12: the thread is then SCHED_BATCH
/// with the default slice). Only system calls: safe between fork and exec; a child inherits both.
inline bool set_batch_longest_slice() {
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, 0);  // -1 is a valid nice: errno tells them apart
  if (errno != 0) return false;
  SchedAttr wanted;
  wanted.policy = SCHED_BATCH;
  wanted.nice = nice;
  wanted.runtime = kLongestSlice;
  if (::syscall(SYS_sched_setattr, 0, &wanted, 0) != 0) return false;
  SchedAttr kept;
  if (::syscall(SYS_sched_getattr, 0, &kept, sizeof kept, 0) != 0) return false;
  return kept.runtime == kLongestSlice;
}

/// Puts the calling thread in the idle CPU class: SCHED_BATCH with the longest slice where the
/// kernel keeps one, else SCHED_IDLE (since EEVDF a SCHED_IDLE thread yields at once only within
/// its own group; the slice makes it yield to any woken thread with the default one). Only
/// system calls: safe between fork and exec. False when the kernel refused both.
inline bool set_idle_class() {
  const sched_param no_priority{};  // SCHED_IDLE takes none
  return set_batch_longest_slice() || ::sched_setscheduler(0, SCHED_IDLE, &no_priority) == 0;
}

/// Whether this kernel keeps a custom slice: probed once, on a short-lived thread of its own
/// (a thread's policy is its own, so nothing else changes). False when no thread can start.
bool custom_slices_kept();

}  // namespace turnout::util
