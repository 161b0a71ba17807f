#pragma once
// Which processes listen on a TCP port (the kernel's socket table, util/socket_table, matched
// against /proc/PID/fd), and what environment they started with, read from /proc: how a port's
// holder is told apart from a stranger's process.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace turnout::util {

/// The pids of the processes that hold a listening TCP socket on `port` (IPv4 or IPv6, any
/// address) in this network namespace. Processes whose descriptors this one may not read are
/// left out; none is an empty list.
std::vector<pid_t> listening_processes(int port);

/// How many TCP connections to local port `port` are established now (IPv4 and IPv6, this
/// network namespace): a server's open connections, whoever holds them.
int established_connections(int port);

/// The value of `name` in the environment process `pid` started with (/proc/PID/environ);
/// nullopt when it has none, or the file cannot be read.
std::optional<std::string> started_with(pid_t pid, const std::string& name);

}  // namespace turnout::util
