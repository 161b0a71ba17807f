#pragma once
// Who a process's parent and children are, what its command line says, and the clock its start
// time is counted in, read from /proc (world-readable: no privilege over the processes needed).
// Used to see a server's retiring workers (nginx after a reload) from outside.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace turnout::util {

/// The parent of `pid`; nullopt when there is no such (live) process.
std::optional<pid_t> parent_of(pid_t pid);

/// The live (not zombie) children of `parent`.
std::vector<pid_t> children_of(pid_t parent);

/// `pid`'s command line with its NULs as spaces (a server may have rewritten it as its title,
/// "nginx: worker process is shutting down"); "" when it cannot be read.
std::string command_line(pid_t pid);

/// Clock ticks since boot now, the unit and clock of ProcessIdentity::start_time.
std::uint64_t ticks_since_boot();

}  // namespace turnout::util
