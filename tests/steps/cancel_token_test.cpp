#include "steps/cancel_token.h"

#include <fcntl.h>
#include <poll.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

using turnout::steps::CancelToken;

namespace {

// Returns poll's result on the token's fd: 1 when readable.
int wait_readable(const CancelToken& token, int timeout_ms) {
  pollfd fd{token.fd(), POLLIN, 0};
  return ::poll(&fd, 1, timeout_ms);
}

}  // namespace

TEST_CASE("CancelToken starts not cancelled and quiet", "[unit][steps]") {
  const CancelToken token;
  CHECK_FALSE(token.cancelled());
  CHECK(token.fd() >= 0);
  CHECK(wait_readable(token, 0) == 0);
  // Close-on-exec, so no step inherits it.
  CHECK((::fcntl(token.fd(), F_GETFD) & FD_CLOEXEC) != 0);
}

TEST_CASE("CancelToken::cancel sets the flag and makes the fd readable, idempotently", "[unit][steps]") {
  CancelToken token;
  token.cancel();
  token.cancel();
  CHECK(token.cancelled());
  CHECK(wait_readable(token, 0) == 1);
  CHECK(wait_readable(token, 0) == 1);  // stays readable: nobody reads it
}

TEST_CASE("CancelToken::cancel from another thread wakes a waiting poll", "[unit][steps]") {
  CancelToken token;
  const auto start = std::chrono::steady_clock::now();
  std::thread canceller([&token] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    token.cancel();
  });
  const int ready = wait_readable(token, 30000);
  canceller.join();
  CHECK(ready == 1);
  CHECK(token.cancelled());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
}
