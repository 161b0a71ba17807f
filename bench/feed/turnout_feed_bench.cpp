// The traffic feed's cost on turnout's side (issue 21, "Measured"): N lines as nginx sends them,
// through the real receiver (util::UdpReceiver) into the real figures (steps::deploy::TrafficFeed).
// Prints the receiver thread's CPU time per 10,000 lines (goal <= 50 ms), what the kernel dropped,
// and the process's RSS after 10% and after all of the lines (memory flat: the window and the
// histograms are of fixed size). The sender paces itself to keep at most 200 lines in flight (the
// kernel's default buffer holds a few hundred).
// Usage: turnout_feed_bench [LINES] (default 1,000,000).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "steps/deploy/traffic_feed.h"
#include "util/udp_receiver.h"

namespace {

using turnout::steps::deploy::TrafficFeed;

const std::string kKey = "0123456789abcdef0123456789abcdef";

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string word;
  while (status >> word) {
    if (word == "VmRSS:") {
      long kib = 0;
      status >> kib;
      return kib;
    }
  }
  return 0;
}

double thread_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  const long lines = argc > 1 ? std::atol(argv[1]) : 1'000'000;
  TrafficFeed feed({kKey});
  std::atomic<double> cpu_first{-1}, cpu_last{0};
  auto receiver = turnout::util::UdpReceiver::start({}, [&](auto datagram, const auto& info) {
    if (cpu_first.load() < 0) cpu_first = thread_cpu_seconds();
    feed.take(datagram, info, TrafficFeed::Clock::now());
    cpu_last = thread_cpu_seconds();
  });
  if (!receiver) {
    std::fprintf(stderr, "%s\n", receiver.error().message.c_str());
    return 1;
  }
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(receiver.value()->port()));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);
  const char* slots[] = {"blue", "green"};
  const char* statuses[] = {"200", "200", "200", "404", "500"};
  const char* times[] = {"0.001", "0.004", "0.012", "0.050", "0.230"};
  long rss_early = 0;
  for (long i = 0; i < lines; ++i) {
    const std::string line = "<190>Dec  7 06:09:35 turnout: turnout1 " + kKey + " app" +
                             std::to_string(i % 8) + " " + slots[i % 2] + " 127.0.0.1:2020" +
                             std::to_string(i % 2) + " " + statuses[i % 5] + " " + times[(i / 3) % 5];
    ::send(fd, line.data(), line.size(), 0);
    while (i - static_cast<long>(receiver.value()->received()) > 200) std::this_thread::yield();
    if (i == lines / 10) rss_early = rss_kib();
  }
  // The last lines arrive, or were dropped (a drop is seen only with a later line): a second
  // without progress ends the wait.
  for (auto last = receiver.value()->received();;) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const auto now = receiver.value()->received();
    if (now == last || static_cast<long>(now) >= lines) break;
    last = now;
  }
  receiver.value()->stop();
  const auto counts = feed.counts();
  const double cpu = cpu_last - cpu_first;
  std::printf("lines %ld: accepted %llu, malformed %llu, dropped by the kernel %llu\n", lines,
              static_cast<unsigned long long>(counts.accepted),
              static_cast<unsigned long long>(counts.malformed),
              static_cast<unsigned long long>(counts.dropped));
  std::printf("receiver thread CPU: %.3f s in all, %.2f ms per 10,000 lines (goal <= 50 ms: %s)\n", cpu,
              cpu * 1e3 * 10'000 / static_cast<double>(lines),
              cpu * 1e3 * 10'000 / lines <= 50 ? "met" : "NOT met");
  std::printf("RSS after 10%% of the lines %ld KiB, after all %ld KiB\n", rss_early, rss_kib());
  ::close(fd);
  return 0;
}
