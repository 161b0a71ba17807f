#include "util/socket_table.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <stdexcept>

#include "util/port_owner.h"

using namespace turnout::util;

namespace {

// A socket descriptor closed on destruction.
struct Fd {
  int fd = -1;
  explicit Fd(int value) : fd(value) {
    if (fd < 0) throw std::runtime_error("socket failed");
  }
  ~Fd() { ::close(fd); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  return address;
}

// The local port of `fd`.
int port_of(int fd) {
  sockaddr_in address{};
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  return ntohs(address.sin_port);
}

// A socket's inode, as /proc/PID/fd names it.
std::uint64_t inode_of(int fd) {
  struct stat status {};
  ::fstat(fd, &status);
  return status.st_ino;
}

bool has(const std::vector<TcpSocket>& sockets, std::uint64_t inode) {
  return std::any_of(sockets.begin(), sockets.end(), [&](const TcpSocket& s) { return s.inode == inode; });
}

}  // namespace

TEST_CASE("socket table: a port's listener and its connections, by netlink and by /proc alike",
          "[unit][util]") {
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const auto any = loopback(0);
  REQUIRE(::bind(listener.fd, reinterpret_cast<const sockaddr*>(&any), sizeof any) == 0);
  REQUIRE(::listen(listener.fd, 4) == 0);
  const int port = port_of(listener.fd);
  Fd other(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(::bind(other.fd, reinterpret_cast<const sockaddr*>(&any), sizeof any) == 0);
  REQUIRE(::listen(other.fd, 4) == 0);

  const auto by_netlink = tcp_sockets_by_netlink(port, TcpState::listen);
  INFO("netlink sock_diag " << (by_netlink ? "answers" : "cannot be asked here"));
  for (const auto& sockets :
       {tcp_sockets(port, TcpState::listen), tcp_sockets_by_proc(port, TcpState::listen),
        by_netlink.value_or(tcp_sockets(port, TcpState::listen))}) {
    CHECK(sockets.size() == 1);
    CHECK(has(sockets, inode_of(listener.fd)));
    CHECK_FALSE(has(sockets, inode_of(other.fd)));
  }
  CHECK(tcp_sockets(port, TcpState::established).empty());
  const auto pids = listening_processes(port);
  CHECK(pids == std::vector<pid_t>{::getpid()});
  CHECK(established_connections(port) == 0);

  {
    Fd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const auto to = loopback(port);
    REQUIRE(::connect(client.fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0);
    // Established before it is accepted: the kernel finished the handshake.
    CHECK(established_connections(port) == 1);
    Fd accepted(::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC));
    CHECK(established_connections(port) == 1);  // the server's end only, not the client's
    CHECK(has(tcp_sockets(port, TcpState::established), inode_of(accepted.fd)));
    CHECK(tcp_sockets_by_proc(port, TcpState::established).size() == 1);
  }
  CHECK(established_connections(port) == 0);  // both ends closed: TIME_WAIT at most
  CHECK(tcp_sockets(port, TcpState::listen).size() == 1);
}
