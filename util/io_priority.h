#pragma once
// The kernel's I/O priorities (ioprio_set(2)), spelled out because older kernel headers lack
// linux/ioprio.h. Both turnout's lowered threads and its steps' processes set them.

#include <sys/syscall.h>
#include <unistd.h>

namespace turnout::util {

/// The idle I/O class: disk time only when nobody else wants it.
constexpr int kIoPriorityIdle = 3 << 13;
/// The best-effort class at its lowest level (7).
constexpr int kIoPriorityLowestBestEffort = (2 << 13) | 7;

/// Sets the calling thread's I/O priority (the kernel keeps it per thread; a child process
/// inherits it). Only a system call: safe between fork and exec. False when refused.
inline bool set_io_priority(int priority) {
  constexpr int kWhoProcess = 1;  // IOPRIO_WHO_PROCESS; "process" 0 is the calling thread
  return ::syscall(SYS_ioprio_set, kWhoProcess, 0, priority) == 0;
}

}  // namespace turnout::util
