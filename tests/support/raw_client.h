#pragma once
// A bare TCP client for what HTTP libraries will not do: send a request byte by byte, stay
// idle, come from another loopback address (127.0.0.2 is a different peer to the server).

#include <chrono>
#include <string>

namespace turnout::test {

/// One TCP connection to 127.0.0.1:`port`. Closes on destruction.
class RawClient {
 public:
  /// Connects from `from` (any port); throws std::runtime_error when it cannot.
  RawClient(int port, const std::string& from = "127.0.0.1");
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  /// Sends all of `bytes`; false when the connection is gone.
  bool send(const std::string& bytes);
  /// Reads until `marker` has arrived and returns all that came; "" when the connection ends
  /// first or `timeout` passes.
  std::string read_until(const std::string& marker,
                         std::chrono::milliseconds timeout = std::chrono::seconds(15));
  /// True when the server has closed the connection (reads its end, or a reset) within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout);
  /// Closes it now.
  void close();

 private:
  int fd_ = -1;
};

/// Raises this process's soft limit of open files to its hard limit: a test holding a thousand
/// connections needs more than the usual 1,024.
void raise_open_files_limit();

}  // namespace turnout::test
