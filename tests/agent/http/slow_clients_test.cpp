// A real `turnout serve` besieged over loopback: slow clients (one byte every 5 s) and a crowd of
// idle keep-alive connections, coming from other loopback addresses, while signed pushes from
// 127.0.0.1 must each get their 202 within a second. The agent's memory is read from /proc.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/agent_server.h"
#include "tests/support/raw_client.h"

using namespace turnout::test;

namespace {

using Clock = std::chrono::steady_clock;

long status_kib(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  FAIL("no " << field << " in /proc/" << pid << "/status");
  return 0;
}

struct Pushes {
  int accepted = 0;
  long slowest_ms = 0;
};

// Pushes `count` deliveries one after another, `gap` apart; each timed from its request.
Pushes push_meanwhile(AgentServer& server, const std::string& sha, const std::string& tag, int count,
                      std::chrono::milliseconds gap) {
  Pushes pushes;
  for (int i = 0; i < count; ++i) {
    const auto start = Clock::now();
    const auto answer = server.push(sha, tag + "-" + std::to_string(i));
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    if (answer.status == 202) ++pushes.accepted;
    pushes.slowest_ms = std::max<long>(pushes.slowest_ms, static_cast<long>(ms));
    std::this_thread::sleep_for(gap);
  }
  return pushes;
}

const char kPipeline[] = "name: app\nstages:\n  - name: build\n    steps:\n      - run: \"true\"\n";

}  // namespace

TEST_CASE("serve: 200 slow clients do not keep a signed push from its 202 within a second",
          "[integration][http][slow]") {
  raise_open_files_limit();
  AgentServer server;
  const auto sha = server.app.commit(".turnout.yml", kPipeline, "app");
  const long rss_before = status_kib(server.process->pid(), "VmRSS");

  // Each sends the start of a request, then one more byte every 5 s.
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 200; ++i) {
    slow.push_back(std::make_unique<RawClient>(server.port, "127.0.0.2"));
    slow.back()->send("P");
  }
  // A jthread: should the pushes throw, it is stopped and joined before the clients go.
  std::jthread trickle([&](const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      for (int tick = 0; tick < 50 && !stop.stop_requested(); ++tick)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      for (auto& client : slow) client->send("O");
    }
  });
  const auto pushes = push_meanwhile(server, sha, "slowloris", 24, std::chrono::milliseconds(500));
  trickle.request_stop();
  trickle.join();

  INFO("the slowest 202 took " << pushes.slowest_ms << " ms");
  CHECK(pushes.accepted == 24);
  CHECK(pushes.slowest_ms < 1000);
  // The trickle outlasted the header deadline (5 s from the first byte): the agent let go.
  int cut_off = 0;
  for (auto& client : slow) cut_off += client->closed_within(std::chrono::seconds(10)) ? 1 : 0;
  CHECK(cut_off == 200);
  const long peak = status_kib(server.process->pid(), "VmHWM");
  WARN("agent RSS before " << rss_before / 1024 << " MiB, peak during 200 slow clients " << peak / 1024
                           << " MiB");
  CHECK(peak - rss_before < 64 * 1024);
}

TEST_CASE("serve: 1,000 idle keep-alive connections do not keep a signed push from its 202 within a second",
          "[integration][http][slow]") {
  raise_open_files_limit();
  AgentServer server;
  const auto sha = server.app.commit(".turnout.yml", kPipeline, "app");
  const long rss_before = status_kib(server.process->pid(), "VmRSS");

  // 250 from each of four addresses: within the cap per address, 1,000 in all.
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 1000; ++i) {
    idle.push_back(std::make_unique<RawClient>(server.port, "127.0.0." + std::to_string(2 + i % 4)));
    REQUIRE(idle.back()->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  }
  int answered = 0;
  for (auto& client : idle)
    answered += client->read_until("\r\n\r\n").rfind("HTTP/1.1 200 OK", 0) == 0 ? 1 : 0;
  CHECK(answered == 1000);

  const auto pushes = push_meanwhile(server, sha, "idle", 20, std::chrono::milliseconds(100));
  INFO("the slowest 202 took " << pushes.slowest_ms << " ms");
  CHECK(pushes.accepted == 20);
  CHECK(pushes.slowest_ms < 1000);
  const long peak = status_kib(server.process->pid(), "VmHWM");
  WARN("agent RSS before " << rss_before / 1024 << " MiB, peak with 1,000 idle connections " << peak / 1024
                           << " MiB");
  CHECK(peak - rss_before < 64 * 1024);
}
