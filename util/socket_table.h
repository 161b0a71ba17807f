#pragma once
// The kernel's TCP sockets on one local port, asked through netlink sock_diag, which filters by
// port in the kernel: a host with tens of thousands of TIME_WAIT rows answers in well under a
// millisecond, where reading and parsing all of /proc/net/tcp took ~200 ms. /proc/net/tcp and
// tcp6 stay the fallback for a kernel (or sandbox) without sock_diag.

#include <cstdint>
#include <optional>
#include <vector>

namespace turnout::util {

/// The TCP states a port's sockets can be asked for.
enum class TcpState {
  listen,       ///< a listening socket (the server's)
  established,  ///< an open connection
};

/// One socket of the table.
struct TcpSocket {
  std::uint64_t inode = 0;  ///< its inode, as /proc/PID/fd/N names it (socket:[INODE]); 0 for a
                            ///< connection no process has accepted yet
};

/// The TCP sockets (IPv4 and IPv6, any address) in `state` whose local port is `port`, in this
/// network namespace. An unreadable table counts as empty.
std::vector<TcpSocket> tcp_sockets(int port, TcpState state);

/// tcp_sockets() asked through netlink sock_diag only; nullopt when netlink cannot be asked.
std::optional<std::vector<TcpSocket>> tcp_sockets_by_netlink(int port, TcpState state);

/// tcp_sockets() read from /proc/net/tcp and tcp6 only (the fallback).
std::vector<TcpSocket> tcp_sockets_by_proc(int port, TcpState state);

}  // namespace turnout::util
