// GET /api/runs/{id}/log?follow=1 from a real `turnout serve`: the log as a real step prints it,
// as text or as server-sent events, ending when the run ends; followers that cost no thread, so
// webhooks are still answered while many watch.
#include "agent/serve/live_log.h"

#include <Poco/JSON/Object.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/agent_server.h"
#include "tests/support/raw_client.h"

using namespace turnout::test;

namespace {

namespace fs = std::filesystem;

// A pipeline whose one step prints `first`, waits for `gate` to exist, then prints `second`.
std::string two_part_pipeline(const fs::path& gate, const std::string& first, const std::string& second) {
  return "name: app\nstages:\n  - name: build\n    steps:\n      - name: work\n        run: |\n"
         "          echo '" +
         first +
         "'\n"
         "          for i in $(seq 1200); do [ -e '" +
         gate.string() +
         "' ] && break; sleep 0.1; done\n"
         "          echo '" +
         second + "'\n";
}

int run_of(const Answer& answer) {
  INFO(answer.body);
  REQUIRE(answer.status == 202);
  return answer.json()->getValue<int>("run");
}

// GET of run `id`'s log, followed, with the agent's own token (the API's reads need one).
std::string follow_request(const AgentServer& server, int id, const std::string& headers = "") {
  return "GET /api/runs/" + std::to_string(id) +
         "/log?follow=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + server.local_token() + "\r\n" +
         headers + "\r\n";
}

void open_gate(const fs::path& gate) { std::ofstream(gate) << "go\n"; }

// The value of the first `id:` line of an event stream; -1 when none.
long first_event_id(const std::string& stream) {
  const auto at = stream.find("\nid: ");
  return at == std::string::npos ? -1 : std::stol(stream.substr(at + 5));
}

}  // namespace

TEST_CASE("server_sent_event: every line of the text is a data line, CR and LF alike", "[unit][serve]") {
  CHECK(turnout::agent::server_sent_event(42, "one") == "id: 42\ndata: one\n\n");
  CHECK(turnout::agent::server_sent_event(7, "a\nb\rc") == "id: 7\ndata: a\ndata: b\ndata: c\n\n");
  // A line that looks like a field stays data: it cannot end the event or name another.
  CHECK(turnout::agent::server_sent_event(1, "x\nevent: end") == "id: 1\ndata: x\ndata: event: end\n\n");
}

TEST_CASE("serve: ?follow=1 streams a run's log as its step prints, and ends when the run ends",
          "[integration][serve][api]") {
  AgentServer server("", {"main"}, false);
  const auto gate = server.dir / "gate";
  const auto sha = server.app.commit(".turnout.yml", two_part_pipeline(gate, "tick one", "tick two"), "app");
  server.start();
  const int id = run_of(server.push(sha, "follow-1"));
  server.wait_until_working(id);

  RawClient text(server.port);
  REQUIRE(text.send(follow_request(server, id)));
  const auto head = text.read_until("tick one");
  REQUIRE_THAT(head, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  CHECK_THAT(head, Catch::Contains("Transfer-Encoding: chunked\r\n"));
  CHECK_THAT(head, Catch::Contains("X-Accel-Buffering: no\r\n"));
  // The step is still waiting: "tick two" can only come after the gate opens.
  CHECK(head.find("tick two") == std::string::npos);
  open_gate(gate);
  const auto rest = text.read_until("\r\n0\r\n\r\n", std::chrono::seconds(60));
  CHECK_THAT(rest, Catch::Contains("tick two"));
  CHECK_THAT(rest, Catch::Contains("=== run succeeded"));
  server.wait_until_ended(id);

  SECTION("as server-sent events, resumed from Last-Event-ID") {
    RawClient events(server.port);
    REQUIRE(events.send(follow_request(server, id, "Accept: text/event-stream\r\n")));
    const auto all = events.read_until("event: end\n", std::chrono::seconds(30));
    REQUIRE_THAT(all, Catch::Contains("Content-Type: text/event-stream\r\n"));
    CHECK_THAT(all, Catch::Contains("out tick one\ndata: "));
    CHECK_THAT(all, Catch::Contains("out tick two\n"));
    CHECK(first_event_id(all) > 0);

    // An id is a byte offset of the log: resuming after the line "tick one" sends what follows.
    const std::string log = [&] {
      std::ifstream in(server.data() / "runs" / std::to_string(id) / "log");
      return std::string(std::istreambuf_iterator<char>(in), {});
    }();
    const auto after_one = log.find('\n', log.find("tick one")) + 1;
    RawClient resumed(server.port);
    REQUIRE(resumed.send(follow_request(
        server, id, "Accept: text/event-stream\r\nLast-Event-ID: " + std::to_string(after_one) + "\r\n")));
    const auto later = resumed.read_until("event: end\n", std::chrono::seconds(30));
    CHECK_THAT(later, Catch::Contains("out tick two\n"));
    CHECK_THAT(later, Catch::Contains("run succeeded"));
    CHECK(later.find("tick one") == std::string::npos);
  }
}

TEST_CASE("serve: a follow of a bad offset or follow value is a 400 with the reason",
          "[integration][serve][api]") {
  AgentServer server;
  const auto sha = server.app.commit(".turnout.yml", two_part_pipeline(server.dir / "open", "a", "b"), "app");
  std::ofstream(server.dir / "open") << "";
  const int id = run_of(server.push(sha, "follow-bad"));
  const auto bad_follow = server.get("/api/runs/" + std::to_string(id) + "/log?follow=yes");
  CHECK(bad_follow.status == 400);
  CHECK_THAT(bad_follow.body, Catch::Contains("follow must be 1 or 0, not 'yes'"));
  const auto bad_offset = server.get("/api/runs/" + std::to_string(id) + "/log?follow=1&offset=-3");
  CHECK(bad_offset.status == 400);
  CHECK_THAT(bad_offset.body, Catch::Contains("offset must be a number of bytes, not '-3'"));
}

TEST_CASE("serve: 64 live followers while a flood of pushes is each answered within a second",
          "[integration][serve][api][slow]") {
  AgentServer server("workers: 1\n", {"main", "flood"}, false);
  const auto gate = server.dir / "gate";
  const auto sha = server.app.commit(".turnout.yml", two_part_pipeline(gate, "watched", "done"), "app");
  server.start();
  const int id = run_of(server.push(sha, "watched-run"));
  server.wait_until_working(id);

  std::vector<std::unique_ptr<RawClient>> followers;
  for (int i = 0; i < 64; ++i) {
    followers.push_back(std::make_unique<RawClient>(server.port));
    REQUIRE(followers.back()->send(follow_request(server, id, "Accept: text/event-stream\r\n")));
  }
  for (auto& follower : followers) REQUIRE_THAT(follower->read_until("watched"), Catch::Contains("data: "));

  // Four clients push at once; every answer is timed from its request.
  std::atomic<long> slowest_ms{0};
  std::atomic<int> accepted{0};
  std::vector<std::thread> pushers;
  for (int t = 0; t < 4; ++t) {
    pushers.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const auto start = std::chrono::steady_clock::now();
        const auto answer = server.push(sha, "flood-" + std::to_string(t) + "-" + std::to_string(i), "flood");
        const long ms = static_cast<long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
                .count());
        if (answer.status == 202) ++accepted;
        long seen = slowest_ms.load();
        while (ms > seen && !slowest_ms.compare_exchange_weak(seen, ms)) {
        }
      }
    });
  }
  for (auto& pusher : pushers) pusher.join();
  INFO("the slowest 202 took " << slowest_ms.load() << " ms");
  CHECK(accepted.load() == 100);
  CHECK(slowest_ms.load() < 1000);

  // Every follower is still live and sees the run to its end.
  open_gate(gate);
  for (auto& follower : followers)
    CHECK_THAT(follower->read_until("event: end\n", std::chrono::seconds(60)), Catch::Contains("done"));
}
