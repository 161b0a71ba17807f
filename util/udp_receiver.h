#pragma once
// Datagrams received on a loopback UDP port by a thread of their own. The kernel's receive
// buffer is the bounded buffer: when the handler falls behind, the kernel drops what does not
// fit (the sender never waits), and the receiver learns how many from SO_RXQ_OVFL.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <thread>

#include "util/result.h"

namespace turnout::util {

/// What arrived with one datagram besides its bytes.
struct DatagramInfo {
  bool from_loopback = false;  ///< sent from 127.0.0.1 (where a local nginx sends from)
  bool truncated = false;      ///< longer than max_datagram: only its beginning was read
  std::uint64_t dropped = 0;   ///< datagrams the kernel dropped on this socket so far (buffer full)
};

/// How a UdpReceiver is set up.
struct UdpReceiverOptions {
  int port = 0;                     ///< on 127.0.0.1; 0 = any free port (see port())
  int receive_buffer = 1 << 20;     ///< SO_RCVBUF asked for (the kernel caps it at net.core.rmem_max)
  std::size_t max_datagram = 2048;  ///< longer datagrams are cut to this (see truncated)
  /// After each drain the receiver waits this long before it looks again, so that one wake-up
  /// reads many datagrams: woken for each one, its thread's wake-ups cost the senders' machine
  /// more than reading them (keep it well under what the receive buffer holds at your rate).
  std::chrono::microseconds batch_pause{2000};
};

/// Receives datagrams on 127.0.0.1:port and hands each to a handler, on its own thread, until
/// it is stopped or destroyed.
class UdpReceiver {
 public:
  /// Called on the receiver's thread for each datagram, one at a time.
  using Handler = std::function<void(std::string_view datagram, const DatagramInfo& info)>;

  /// Binds the port and starts the thread; fails (naming the address and errno's text) when the
  /// port cannot be bound.
  static Result<std::unique_ptr<UdpReceiver>> start(const UdpReceiverOptions& options, Handler handler);
  /// Stops the thread and closes the socket.
  ~UdpReceiver();
  UdpReceiver(const UdpReceiver&) = delete;
  UdpReceiver& operator=(const UdpReceiver&) = delete;

  /// The bound port.
  int port() const { return port_; }
  /// Datagrams handed to the handler so far.
  std::uint64_t received() const { return received_.load(); }
  /// Stops receiving: returns once the thread has ended (the handler is not called after it).
  void stop();

 private:
  UdpReceiver(int socket, int wake, int port, const UdpReceiverOptions& options, Handler handler);
  void loop();
  bool drain(char* buffer);

  int socket_ = -1;
  int wake_ = -1;  // an eventfd: written to stop the thread's poll
  int port_ = 0;
  std::size_t max_datagram_;
  std::chrono::microseconds batch_pause_;
  Handler handler_;
  std::atomic<std::uint64_t> received_{0};
  std::thread thread_;
};

/// A UDP port on 127.0.0.1 that was free when asked (bound to port 0, read back, closed).
Result<int> free_udp_loopback_port();

}  // namespace turnout::util
