#include "util/socket_table.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace turnout::util {

namespace {

// The kernel's TCP state numbers (include/net/tcp_states.h), as sock_diag and /proc/net/tcp use them.
constexpr int kTcpEstablished = 1;
constexpr int kTcpListen = 10;

int state_number(TcpState state) { return state == TcpState::listen ? kTcpListen : kTcpEstablished; }

// One sock_diag dump of `family`'s TCP sockets in `state` on local port `port`; nullopt when
// netlink cannot be asked (no sock_diag, a seccomp filter) or the dump ends in an error.
std::optional<std::vector<TcpSocket>> netlink_dump(int family, int port, int state) {
  const int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return std::nullopt;
  struct Request {
    nlmsghdr header;
    inet_diag_req_v2 diag;
  } request{};
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.diag.sdiag_family = static_cast<std::uint8_t>(family);
  request.diag.sdiag_protocol = IPPROTO_TCP;
  request.diag.idiag_states = 1U << state;
  // The kernel skips the sockets of other local ports itself (inet_diag_dump_icsk).
  request.diag.id.idiag_sport = htons(static_cast<std::uint16_t>(port));
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd, &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    ::close(fd);
    return std::nullopt;
  }
  std::vector<TcpSocket> sockets;
  alignas(nlmsghdr) std::array<char, 16384> buffer;
  for (;;) {
    const ssize_t size = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (size <= 0) {
      ::close(fd);
      return std::nullopt;
    }
    int left = static_cast<int>(size);
    for (auto* message = reinterpret_cast<nlmsghdr*>(buffer.data()); NLMSG_OK(message, left);
         message = NLMSG_NEXT(message, left)) {
      if (message->nlmsg_type == NLMSG_DONE) {
        ::close(fd);
        return sockets;
      }
      if (message->nlmsg_type == NLMSG_ERROR) {
        ::close(fd);
        return std::nullopt;
      }
      const auto* diag = static_cast<const inet_diag_msg*>(NLMSG_DATA(message));
      // Checked again here: what the kernel filters is its choice, what this returns is not.
      if (ntohs(diag->id.idiag_sport) == port && diag->idiag_state == state)
        sockets.push_back(TcpSocket{diag->idiag_inode});
    }
  }
}

// The rows of a /proc/net/tcp-style table in `state` whose local port is `port`.
void read_table(const char* table, int port, int state, std::vector<TcpSocket>& sockets) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, st, queues, timer, retransmits, uid, timeout;
    std::uint64_t inode = 0;
    if (!(fields >> slot >> local >> remote >> st >> queues >> timer >> retransmits >> uid >> timeout >>
          inode))
      continue;
    const auto colon = local.rfind(':');
    if (colon == std::string::npos) continue;
    if (std::stoi(local.substr(colon + 1), nullptr, 16) == port && std::stoi(st, nullptr, 16) == state)
      sockets.push_back(TcpSocket{inode});
  }
}

}  // namespace

std::vector<TcpSocket> tcp_sockets(int port, TcpState state) {
  if (auto sockets = tcp_sockets_by_netlink(port, state)) return *sockets;
  return tcp_sockets_by_proc(port, state);
}

std::optional<std::vector<TcpSocket>> tcp_sockets_by_netlink(int port, TcpState state) {
  const int number = state_number(state);
  auto sockets = netlink_dump(AF_INET, port, number);
  if (!sockets) return std::nullopt;
  // A kernel without IPv6 has no inet6 sock_diag handler, and no IPv6 sockets either.
  if (auto v6 = netlink_dump(AF_INET6, port, number)) sockets->insert(sockets->end(), v6->begin(), v6->end());
  return sockets;
}

std::vector<TcpSocket> tcp_sockets_by_proc(int port, TcpState state) {
  std::vector<TcpSocket> sockets;
  read_table("/proc/net/tcp", port, state_number(state), sockets);
  read_table("/proc/net/tcp6", port, state_number(state), sockets);
  return sockets;
}

}  // namespace turnout::util
