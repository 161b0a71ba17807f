#include "steps/deploy/health_probe.h"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <sys/types.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "steps/child_process.h"
#include "tests/support/background_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/version_app.h"
#include "util/process_identity.h"

using namespace std::chrono_literals;
using turnout::pipeline::HealthCheck;
using turnout::pipeline::ProbeKind;
using turnout::steps::CancelToken;
using turnout::steps::deploy::HealthOutcome;
using turnout::steps::deploy::probe_once;
using turnout::steps::deploy::ProbeEnv;
using turnout::steps::deploy::wait_until_healthy;
using turnout::test::TempDir;
using turnout::test::VersionApp;

namespace {

const ProbeEnv kNoEnv;

// What a failed http probe of `path` on `port` says before its reason.
std::string probed(int port, const std::string& path = "/health") {
  return "GET http://127.0.0.1:" + std::to_string(port) + path;
}

HealthCheck http(const std::string& path = "/health") {
  HealthCheck check;
  check.kind = ProbeKind::http;
  check.path = path;
  return check;
}

HealthCheck tcp() {
  HealthCheck check;
  check.kind = ProbeKind::tcp;
  return check;
}

HealthCheck command(const std::string& script, std::chrono::milliseconds timeout = 2s) {
  HealthCheck check;
  check.kind = ProbeKind::command;
  check.command = script;
  check.timeout = timeout;
  return check;
}

ProbeEnv with_path(const std::string& cwd = "") {
  return ProbeEnv{{"PATH=/usr/local/bin:/usr/bin:/bin"}, cwd};
}

// A port that listens (the kernel completes connections into its backlog) but never accepts or
// answers: a slot that hangs.
struct SilentListener {
  Poco::Net::ServerSocket socket{Poco::Net::SocketAddress("127.0.0.1", 0)};
  int port() const { return socket.address().port(); }
};

// Answers the first connection with `response`, byte for byte, then closes it.
class CannedServer {
 public:
  explicit CannedServer(std::string response)
      : response_(std::move(response)), thread_([this] { serve(); }) {}
  ~CannedServer() {
    stop_ = true;
    thread_.join();
  }
  int port() const { return socket_.address().port(); }

 private:
  void serve() {
    // Polled in ticks, so the destructor can end the thread even when nobody connects.
    while (!stop_) {
      if (!socket_.poll(Poco::Timespan(50 * 1000), Poco::Net::Socket::SELECT_READ)) continue;
      Poco::Net::StreamSocket client = socket_.acceptConnection();
      std::string request;
      char buffer[1024];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const int got = client.receiveBytes(buffer, sizeof buffer);
        if (got <= 0) break;
        request.append(buffer, static_cast<std::size_t>(got));
      }
      client.sendBytes(response_.data(), static_cast<int>(response_.size()));
      client.shutdown();
      return;
    }
  }

  Poco::Net::ServerSocket socket_{Poco::Net::SocketAddress("127.0.0.1", 0)};
  std::string response_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::vector<pid_t> pids_in(const std::string& text) {
  std::vector<pid_t> pids;
  std::istringstream lines(text);
  for (long pid = 0; lines >> pid;) pids.push_back(static_cast<pid_t>(pid));
  return pids;
}

struct Failure {
  int attempt;
  std::string reason;
};

}  // namespace

TEST_CASE("deploy health: an http probe passes when the slot answers 2xx", "[integration][deploy]") {
  const TempDir dir;
  VersionApp app(dir / "app.log");
  const auto health = probe_once(http("/health"), app.port(), kNoEnv);
  CHECK(health.healthy);
  CHECK(health.reason.empty());
  CHECK(probe_once(http("/"), app.port(), kNoEnv).healthy);
}

TEST_CASE("deploy health: an http probe of a closed port says connection refused", "[unit][deploy]") {
  const int port = turnout::test::free_loopback_port();
  const auto result = probe_once(http(), port, kNoEnv);
  CHECK_FALSE(result.healthy);
  CHECK(result.reason == probed(port) + ": connection refused");
}

TEST_CASE("deploy health: an http probe of a wrong status gives the status and the body",
          "[integration][deploy]") {
  const TempDir dir;
  VersionApp app(dir / "app.log", {{"APP_HEALTH", "fail"}});
  const auto result = probe_once(http(), app.port(), kNoEnv);
  CHECK_FALSE(result.healthy);
  CHECK(result.reason == probed(app.port()) + " -> 503: not ready");
}

TEST_CASE("deploy health: an http probe with an explicit status wants exactly that one",
          "[integration][deploy]") {
  const TempDir dir;
  VersionApp failing(dir / "failing.log", {{"APP_HEALTH", "fail"}});
  VersionApp ready(dir / "ready.log");
  HealthCheck check = http();
  check.status = 503;
  CHECK(probe_once(check, failing.port(), kNoEnv).healthy);
  const auto result = probe_once(check, ready.port(), kNoEnv);
  CHECK_FALSE(result.healthy);
  CHECK(result.reason == probed(ready.port()) + " -> 200: ok");
}

TEST_CASE("deploy health: an http probe puts the first 200 bytes of an error page on one line",
          "[unit][deploy]") {
  const std::string page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n\t<body>" +
                           std::string(300, 'x') + "</body>\r\n</html>\r\n";
  CannedServer server("HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: " +
                      std::to_string(page.size()) + "\r\nConnection: close\r\n\r\n" + page);
  const auto result = probe_once(http(), server.port(), kNoEnv);
  CHECK_FALSE(result.healthy);
  const std::string start =
      probed(server.port()) + " -> 502: <html> <head><title>502 Bad Gateway</title></head> <body>";
  CHECK(result.reason.starts_with(start));
  CHECK(result.reason.find('\n') == std::string::npos);
  CHECK(result.reason.find('\r') == std::string::npos);
  // 200 bytes of the page, of which "\r\n" and "\r\n\t" shrank to one space each.
  CHECK(result.reason.size() == (probed(server.port()) + " -> 502: ").size() + 200 - 3);
}

TEST_CASE("deploy health: an http probe of a server that hangs up without answering says so",
          "[unit][deploy]") {
  CannedServer server("");
  const auto result = probe_once(http(), server.port(), kNoEnv);
  CHECK_FALSE(result.healthy);
  CHECK(result.reason == probed(server.port()) + ": connection closed without a response");
}

TEST_CASE("deploy health: an http probe of a server that never answers times out", "[unit][deploy]") {
  SilentListener silent;
  HealthCheck check = http();
  check.timeout = 300ms;
  const auto result = probe_once(check, silent.port(), kNoEnv);
  CHECK_FALSE(result.healthy);
  CHECK(result.reason == probed(silent.port()) + ": timed out after 300ms");
}

TEST_CASE("deploy health: a tcp probe passes when the port accepts and says why when not", "[unit][deploy]") {
  SilentListener listening;
  const auto open = probe_once(tcp(), listening.port(), kNoEnv);
  CHECK(open.healthy);
  CHECK(open.reason.empty());
  const int port = turnout::test::free_loopback_port();
  const auto closed = probe_once(tcp(), port, kNoEnv);
  CHECK_FALSE(closed.healthy);
  CHECK(closed.reason == "connect 127.0.0.1:" + std::to_string(port) + ": connection refused");
}

TEST_CASE("deploy health: a command probe passes on exit 0, in the release directory with its environment",
          "[unit][deploy]") {
  const TempDir dir;
  dir.write("marker", "");
  ProbeEnv env = with_path(dir.path().string());
  env.env.push_back("PROBE_MARK=x");
  const auto result = probe_once(command("test \"$PROBE_MARK\" = x && test -f marker"), 0, env);
  CHECK(result.healthy);
  CHECK(result.reason.empty());
}

TEST_CASE("deploy health: a command probe that exits non-zero says with what", "[unit][deploy]") {
  const auto result = probe_once(command("echo not yet; exit 1"), 0, with_path());
  CHECK_FALSE(result.healthy);
  CHECK(result.reason == "exited 1");
}

TEST_CASE("deploy health: a command probe that times out is killed with its whole group", "[unit][deploy]") {
  const TempDir dir;
  const auto result = probe_once(command("echo $$ > pids; sleep 1000 & echo $! >> pids; wait", 1s), 0,
                                 with_path(dir.path().string()));
  CHECK_FALSE(result.healthy);
  CHECK(result.reason == "timed out after 1.0s");
  const auto pids = pids_in(turnout::test::read_file(dir / "pids"));
  REQUIRE(pids.size() == 2);
  CHECK_FALSE(turnout::steps::process_group_alive(pids[0]));
  for (const pid_t pid : pids) CHECK_FALSE(turnout::util::identify(pid).has_value());
}

TEST_CASE("deploy health: wait_until_healthy passes once the slot is ready, telling each failure before",
          "[integration][deploy]") {
  const TempDir dir;
  // Unhealthy for 2s after it started: the first probe, made at once, fails.
  VersionApp app(dir / "app.log", {{"APP_HEALTH", "after:2"}});
  HealthCheck check = http();
  check.interval = 200ms;
  check.attempts = 100;
  std::vector<Failure> failures;
  const CancelToken cancel;
  const HealthOutcome outcome = wait_until_healthy(check, app.port(), kNoEnv, cancel,
                                                   [&failures](int attempt, const std::string& reason) {
                                                     failures.push_back({attempt, reason});
                                                   });
  CHECK(outcome.healthy);
  CHECK_FALSE(outcome.cancelled);
  REQUIRE_FALSE(failures.empty());
  CHECK(outcome.attempts == static_cast<int>(failures.size()) + 1);
  for (std::size_t i = 0; i < failures.size(); ++i) {
    CHECK(failures[i].attempt == static_cast<int>(i) + 1);
    CHECK(failures[i].reason == probed(app.port()) + " -> 503: not ready");
  }
  CHECK(outcome.last_reason == probed(app.port()) + " -> 503: not ready");
}

TEST_CASE("deploy health: wait_until_healthy gives up after its attempts with the last reason",
          "[integration][deploy]") {
  const TempDir dir;
  VersionApp app(dir / "app.log", {{"APP_HEALTH", "fail"}});
  HealthCheck check = http();
  check.interval = 10ms;
  check.attempts = 3;
  std::vector<int> attempts;
  const CancelToken cancel;
  const HealthOutcome outcome =
      wait_until_healthy(check, app.port(), kNoEnv, cancel,
                         [&attempts](int attempt, const std::string&) { attempts.push_back(attempt); });
  CHECK_FALSE(outcome.healthy);
  CHECK_FALSE(outcome.cancelled);
  CHECK(outcome.attempts == 3);
  CHECK(attempts == std::vector<int>{1, 2, 3});
  CHECK(outcome.last_reason == probed(app.port()) + " -> 503: not ready");
}

TEST_CASE("deploy health: the same 4xx on every probe fails early, with a hint that the path may be wrong",
          "[integration][deploy]") {
  const TempDir dir;
  VersionApp app(dir / "app.log");
  HealthCheck check = http("/healthz");  // the app answers /health: this path is 404
  check.interval = 10ms;
  check.attempts = 30;
  std::vector<int> attempts;
  const CancelToken cancel;
  const HealthOutcome outcome =
      wait_until_healthy(check, app.port(), kNoEnv, cancel,
                         [&attempts](int attempt, const std::string&) { attempts.push_back(attempt); });
  CHECK_FALSE(outcome.healthy);
  CHECK(outcome.attempts == 5);
  CHECK(attempts.size() == 5);
  CHECK_THAT(outcome.last_reason, Catch::StartsWith(probed(app.port(), "/healthz") + " -> 404: not found"));
  CHECK_THAT(outcome.last_reason, Catch::Contains("5 probes in a row"));
  CHECK_THAT(outcome.last_reason, Catch::Contains("is health.path right?"));
}

TEST_CASE("deploy health: a 4xx that changes, or a 5xx, is probed to the last attempt",
          "[integration][deploy]") {
  const TempDir dir;
  VersionApp app(dir / "app.log", {{"APP_HEALTH", "fail"}});
  HealthCheck check = http();
  check.interval = 10ms;
  check.attempts = 8;
  const CancelToken cancel;
  const auto outcome = wait_until_healthy(check, app.port(), kNoEnv, cancel, [](int, const std::string&) {});
  CHECK(outcome.attempts == 8);
}

TEST_CASE("deploy health: wait_until_healthy stops waiting when cancelled", "[unit][deploy]") {
  HealthCheck check = tcp();
  check.interval = 10min;  // only the cancellation can end the wait after the first failure
  check.attempts = 5;
  const int closed_port = turnout::test::free_loopback_port();
  CancelToken cancel;
  std::promise<void> failed_once;
  std::thread canceller([&] {
    failed_once.get_future().wait();
    cancel.cancel();
  });
  int reported = 0;
  const HealthOutcome outcome =
      wait_until_healthy(check, closed_port, kNoEnv, cancel, [&](int attempt, const std::string& reason) {
        reported = attempt;
        CHECK_THAT(reason, Catch::EndsWith(": connection refused"));
        if (attempt == 1) failed_once.set_value();
      });
  canceller.join();
  CHECK(outcome.cancelled);
  CHECK_FALSE(outcome.healthy);
  CHECK(outcome.attempts < check.attempts);
  CHECK(outcome.attempts == reported);
  CHECK_THAT(outcome.last_reason, Catch::EndsWith(": connection refused"));
}

TEST_CASE("deploy health: wait_until_healthy cancelled before it starts makes no probe", "[unit][deploy]") {
  CancelToken cancel;
  cancel.cancel();
  int reported = 0;
  const HealthOutcome outcome = wait_until_healthy(tcp(), turnout::test::free_loopback_port(), kNoEnv, cancel,
                                                   [&reported](int, const std::string&) { ++reported; });
  CHECK(outcome.cancelled);
  CHECK(outcome.attempts == 0);
  CHECK(reported == 0);
}

TEST_CASE("deploy health: wait_until_healthy kills a command probe when cancelled", "[unit][deploy]") {
  const TempDir dir;
  HealthCheck check = command("echo $$ > pid; sleep 1000", 10min);
  CancelToken cancel;
  std::thread canceller([&] {
    // Once the probe wrote its pid it is running; the cancellation must end it.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (turnout::test::read_file(dir / "pid").empty() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    cancel.cancel();
  });
  int reported = 0;
  const HealthOutcome outcome = wait_until_healthy(check, 0, with_path(dir.path().string()), cancel,
                                                   [&reported](int, const std::string&) { ++reported; });
  canceller.join();
  CHECK(outcome.cancelled);
  CHECK(outcome.attempts == 1);
  CHECK(reported == 0);
  const auto pids = pids_in(turnout::test::read_file(dir / "pid"));
  REQUIRE(pids.size() == 1);
  CHECK_FALSE(turnout::steps::process_group_alive(pids[0]));
}
