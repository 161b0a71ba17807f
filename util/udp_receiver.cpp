#include "util/udp_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace turnout::util {

namespace {

std::string errno_text() { return std::strerror(errno); }

// A UDP socket bound to 127.0.0.1:port, close-on-exec (a step must not inherit it).
Result<int> bind_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail("cannot open a UDP socket: " + errno_text());
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const std::string why = errno_text();
    ::close(fd);
    return fail("cannot bind UDP 127.0.0.1:" + std::to_string(port) + ": " + why);
  }
  return fd;
}

int bound_port(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  return ntohs(address.sin_port);
}

}  // namespace

Result<std::unique_ptr<UdpReceiver>> UdpReceiver::start(const UdpReceiverOptions& options, Handler handler) {
  auto fd = bind_loopback(options.port);
  if (!fd) return fd.error();
  const int on = 1;
  // Both best effort: a smaller buffer drops sooner, and without the count drops go unseen.
  ::setsockopt(fd.value(), SOL_SOCKET, SO_RCVBUF, &options.receive_buffer, sizeof options.receive_buffer);
  ::setsockopt(fd.value(), SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
  const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    const std::string why = errno_text();
    ::close(fd.value());
    return fail("cannot create an eventfd: " + why);
  }
  return std::unique_ptr<UdpReceiver>(
      new UdpReceiver(fd.value(), wake, bound_port(fd.value()), options, std::move(handler)));
}

UdpReceiver::UdpReceiver(int socket, int wake, int port, const UdpReceiverOptions& options, Handler handler)
    : socket_(socket),
      wake_(wake),
      port_(port),
      max_datagram_(options.max_datagram),
      batch_pause_(options.batch_pause),
      handler_(std::move(handler)) {
  thread_ = std::thread([this] { loop(); });
}

UdpReceiver::~UdpReceiver() {
  stop();
  ::close(socket_);
  ::close(wake_);
}

void UdpReceiver::stop() {
  if (!thread_.joinable()) return;
  const std::uint64_t one = 1;
  if (::write(wake_, &one, sizeof one) < 0) {
    // An eventfd write fails only when its counter would overflow: it is already readable.
  }
  thread_.join();
}

void UdpReceiver::loop() {
  std::vector<char> buffer(max_datagram_);
  pollfd watched[2] = {{socket_, POLLIN, 0}, {wake_, POLLIN, 0}};
  for (;;) {
    if (::poll(watched, 2, -1) < 0 && errno != EINTR) return;
    if (watched[1].revents != 0) return;
    if (watched[0].revents != 0 && !drain(buffer.data())) return;
    if (batch_pause_.count() > 0) std::this_thread::sleep_for(batch_pause_);
  }
}

// Reads every datagram waiting; false when the socket failed for good.
bool UdpReceiver::drain(char* buffer) {
  for (;;) {
    sockaddr_in from{};
    iovec piece{buffer, max_datagram_};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(std::uint32_t))];
    msghdr message{};
    message.msg_name = &from;
    message.msg_namelen = sizeof from;
    message.msg_iov = &piece;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    const ssize_t size = ::recvmsg(socket_, &message, MSG_DONTWAIT);
    if (size < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNREFUSED;
    DatagramInfo info;
    info.truncated = (message.msg_flags & MSG_TRUNC) != 0;
    info.from_loopback = from.sin_family == AF_INET && from.sin_addr.s_addr == htonl(INADDR_LOOPBACK);
    for (cmsghdr* part = CMSG_FIRSTHDR(&message); part != nullptr; part = CMSG_NXTHDR(&message, part)) {
      if (part->cmsg_level == SOL_SOCKET && part->cmsg_type == SO_RXQ_OVFL) {
        std::uint32_t dropped = 0;
        std::memcpy(&dropped, CMSG_DATA(part), sizeof dropped);
        info.dropped = dropped;
      }
    }
    ++received_;
    handler_(std::string_view(buffer, static_cast<std::size_t>(size)), info);
  }
}

Result<int> free_udp_loopback_port() {
  auto fd = bind_loopback(0);
  if (!fd) return fd.error();
  const int port = bound_port(fd.value());
  ::close(fd.value());
  if (port == 0) return fail("cannot read the port of a UDP socket: " + errno_text());
  return port;
}

}  // namespace turnout::util
