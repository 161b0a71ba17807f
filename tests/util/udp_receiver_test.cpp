#include "util/udp_receiver.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/datagram.h"

using turnout::util::DatagramInfo;
using turnout::util::UdpReceiver;

namespace {

void send_to(int port, const std::string& text) { CHECK(turnout::test::send_datagram(port, text)); }

/// What the handler saw, for the test's thread.
struct Seen {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> datagrams;
  DatagramInfo last;

  void add(std::string_view datagram, const DatagramInfo& info) {
    std::lock_guard lock(mutex);
    datagrams.emplace_back(datagram);
    last = info;
    changed.notify_all();
  }
  bool wait_for(std::size_t count) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(10), [&] { return datagrams.size() >= count; });
  }
};

}  // namespace

TEST_CASE("udp receiver: each datagram whole, from loopback, until stopped", "[unit][util]") {
  Seen seen;
  auto receiver = UdpReceiver::start({0, 1 << 16, 64},
                                     [&](auto datagram, const auto& info) { seen.add(datagram, info); });
  REQUIRE(receiver.ok());
  const int port = receiver.value()->port();
  CHECK(port > 0);
  send_to(port, "one");
  send_to(port, std::string(100, 'x'));  // longer than 64: cut, and said so
  REQUIRE(seen.wait_for(2));
  CHECK(seen.datagrams[0] == "one");
  CHECK(seen.datagrams[1] == std::string(64, 'x'));
  CHECK(seen.last.truncated);
  CHECK(seen.last.from_loopback);
  CHECK(receiver.value()->received() == 2);
  // The port is taken while it runs.
  CHECK_FALSE(UdpReceiver::start({port}, [](auto, const auto&) {}).ok());
  receiver.value()->stop();
  send_to(port, "after");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(seen.datagrams.size() == 2);
}

TEST_CASE("udp receiver: a busy handler loses datagrams to the kernel, and they are counted",
          "[unit][util]") {
  Seen seen;
  std::mutex hold;
  std::unique_lock holding(hold);
  // The first datagram blocks the handler until the test lets go: meanwhile the small buffer fills.
  auto receiver = UdpReceiver::start({0, 4096, 256}, [&](auto datagram, const auto& info) {
    if (datagram == "first") std::lock_guard wait(hold);
    seen.add(datagram, info);
  });
  REQUIRE(receiver.ok());
  const int port = receiver.value()->port();
  send_to(port, "first");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the handler holds "first"
  constexpr int kFlood = 500;
  for (int i = 0; i < kFlood; ++i) send_to(port, "line " + std::to_string(i));
  holding.unlock();
  // The count reaches the receiver with the next datagram after the drops.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  send_to(port, "last");
  REQUIRE(seen.wait_for(1));
  std::unique_lock lock(seen.mutex);
  REQUIRE(
      seen.changed.wait_for(lock, std::chrono::seconds(10), [&] { return seen.datagrams.back() == "last"; }));
  const auto received = seen.datagrams.size();
  INFO("received " << received << ", dropped " << seen.last.dropped);
  CHECK(seen.last.dropped > 0);
  CHECK(received + seen.last.dropped == kFlood + 2);
}
