// `turnout serve` end to end: the real binary on a loopback port, real HTTP, a real SQLite file.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "agent/webhook/signature.h"
#include "tests/support/agent_server.h"
#include "tests/support/background_process.h"
#include "tests/support/command.h"
#include "tests/support/fixtures.h"
#include "tests/support/self_signed_cert.h"
#include "tests/support/temp_dir.h"

using namespace turnout::test;
using turnout::agent::sign;

namespace {

namespace fs = std::filesystem;

const std::string& kSecret = kAgentSecret;
const std::string kWoodpeckerSha = "366701fde727cb7a9e7f21eb88264f59f6f9b89c";

fs::path fixture(const std::string& relative) { return github_fixture(relative); }

std::string config_text(int port, const fs::path& dir, bool with_secret) {
  std::string text = "listen: 127.0.0.1:" + std::to_string(port) + "\n" +
                     "public_url: http://ci.test\n"
                     "data_dir: " +
                     (dir / "data").string() + "\n";
  if (with_secret) text += "webhook_secret_file: " + (dir / "secret").string() + "\n";
  text +=
      "repos:\n"
      "  - name: woodpecker-ci/woodpecker\n"
      "    branches: [main]\n"
      "  - name: Codertocat/Hello-World\n"
      "    branches: [master]\n"
      "  - name: bradrydzewski/drone-test-go\n"
      "    branches: [feature-branch]\n";
  return text;
}

std::string raw_webhook_head(long long content_length) {
  return "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "X-GitHub-Event: push\r\nX-GitHub-Delivery: raw-1\r\nContent-Length: " +
         std::to_string(content_length) + "\r\n\r\n";
}

}  // namespace

TEST_CASE("serve: bad signatures are 401 and queue nothing", "[integration][serve]") {
  AgentServer server;
  const std::string body = read_file(fixture("push/woodpecker__push-main.json"));
  const auto wrong = server.post("push", "d-wrong", body, sign("not the secret", body));
  CHECK(wrong.status == 401);
  CHECK_THAT(wrong.body, !Catch::Contains(kSecret));
  CHECK(server.post("push", "d-sha1", body, "sha1=" + std::string(40, 'a')).status == 401);
  const auto missing = server.post("push", "d-missing", body, "");
  CHECK(missing.status == 401);
  CHECK_THAT(missing.json()->getValue<std::string>("reason"), Catch::Contains("X-Hub-Signature-256"));
  CHECK(server.runs()->size() == 0);
  CHECK_THAT(server.process->output(), !Catch::Contains(kSecret));
}

TEST_CASE("serve: what starts no run is answered and ignored", "[integration][serve]") {
  AgentServer server;
  const auto malformed = server.post("push", "d-bad", "{\"ref\": ");
  CHECK(malformed.status == 400);
  CHECK_FALSE(malformed.json()->getValue<std::string>("reason").empty());
  const auto ping = server.post_fixture("ping/octokit__repo-hook.payload.json", "d-ping");
  CHECK(ping.status == 200);
  CHECK(ping.json()->getValue<std::string>("result") == "pong");
  for (const auto* relative :
       {"pull_request/woodpecker__closed-merged.json", "push/octokit__tag-deleted.payload.json",
        "push/go-scm__branch-deleted.json"}) {
    INFO(relative);
    const auto answer = server.post_fixture(relative, std::string("d-") + relative);
    CHECK(answer.status == 202);
    CHECK(answer.json()->getValue<std::string>("result") == "ignored");
  }
  const std::string unknown = R"({"ref":"refs/heads/main","after":")" + kWoodpeckerSha +
                              R"(","repository":{"full_name":"acme/unknown"}})";
  const auto ignored = server.post("push", "d-unknown", unknown);
  CHECK(ignored.status == 202);
  CHECK(ignored.json()->getValue<std::string>("reason") == "repository 'acme/unknown' is not configured");
  CHECK(server.runs()->size() == 0);
}

TEST_CASE("serve: bodies over 25 MiB are 413, cut-short ones 400", "[integration][serve]") {
  AgentServer server;
  CHECK(server.raw(raw_webhook_head(26214401) + "{\"ref\":", false) == 413);
  CHECK(server.raw(raw_webhook_head(1000) + "{\"ref\":\"refs/heads/main\"", true) == 400);
  CHECK(server.runs()->size() == 0);
  CHECK(server.get("/healthz").status == 200);
}

TEST_CASE("serve: SIGTERM stops it cleanly", "[integration][serve]") {
  AgentServer server("", {"main"}, false);
  server.start({"--log-format", "json"});
  REQUIRE(server.process->send_signal(SIGTERM));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (server.process->running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK_FALSE(server.process->running());
  const std::string log = server.process->output();
  INFO(log);
  CHECK_THAT(log, Catch::Contains("stopped"));
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    CHECK(Poco::JSON::Parser().parse(line).type() == typeid(Poco::JSON::Object::Ptr));
  }
}

TEST_CASE("serve: a second agent on a taken address stops with one line, the first serves on",
          "[integration][serve]") {
  AgentServer first;
  TempDir dir;
  dir.write("secret", "s3cret\n");
  dir.write("agent.yml", config_text(first.port, dir.path(), true));
  const auto second = run_turnout({"serve", "--config", (dir / "agent.yml").string()});
  CHECK(second.exit_code == 2);
  CHECK_THAT(second.err, Catch::Contains("cannot listen on 127.0.0.1:" + std::to_string(first.port)));
  CHECK_THAT(second.err, Catch::Contains("is another process using the port?"));
  CHECK(first.get("/healthz").status == 200);
  // It stopped before it created anything.
  CHECK_FALSE(fs::exists(dir / "data"));
}

TEST_CASE("serve: a second agent on the same data folder stops with one line naming the first",
          "[integration][serve]") {
  AgentServer first;
  const auto presence = first.data() / "agent.json";
  REQUIRE(fs::exists(presence));
  const auto before = fs::last_write_time(presence);
  auto text = config_text(free_loopback_port(), first.dir.path(), true);
  const auto second = run_turnout({"serve", "--config", first.dir.write("second.yml", text).string()});
  CHECK(second.exit_code == 2);
  INFO(second.err);
  CHECK(std::count(second.err.begin(), second.err.end(), '\n') <= 1);
  CHECK_THAT(second.err, Catch::StartsWith("turnout serve: data folder " + first.data().string() +
                                           " is served by another turnout serve (pid " +
                                           std::to_string(first.process->pid()) +
                                           ", http://127.0.0.1:" + std::to_string(first.port) + ")"));
  // The first one's agent.json is untouched, and the CLI still finds it.
  CHECK(fs::exists(presence));
  CHECK(fs::last_write_time(presence) == before);
  CHECK(first.get("/healthz").status == 200);
}

TEST_CASE("serve: refuses to start without a webhook secret", "[integration][serve]") {
  TempDir dir;
  dir.write("agent.yml", config_text(free_loopback_port(), dir.path(), false));
  const auto result = run_turnout({"serve", "--config", (dir / "agent.yml").string()});
  CHECK(result.exit_code == 2);
  CHECK(
      result.err.substr(0, result.err.find_last_not_of('\n') + 1) ==
      "turnout serve: no webhook secret configured (webhook_secret_file or webhook_secret_env); refusing to "
      "accept unsigned webhooks. Pass --insecure-no-signature to run without (not for production)");
}

TEST_CASE("serve: every problem of agent.yml at once, missing secret files included, each at its position",
          "[integration][serve]") {
  TempDir dir;
  const auto file = dir.write("agent.yml",
                              "listen: 127.0.0.1:1\n"
                              "webhook_secret_file: missing-secret\n"
                              "workrs: 2\n"
                              "api_token_env: TURNOUT_TEST_UNSET_TOKEN\n"
                              "repos:\n"
                              "  - name: you/app\n"
                              "    webhook_secret_file: missing-repo-secret\n"
                              "    token_env: TURNOUT_TEST_UNSET_FETCH_TOKEN\n");
  const auto result = run_turnout({"serve", "--config", file.string()}, "",
                                  {{"TURNOUT_TEST_UNSET_TOKEN", ""}, {"TURNOUT_TEST_UNSET_FETCH_TOKEN", ""}});
  CHECK(result.exit_code == 2);
  INFO(result.err);
  CHECK_THAT(result.err, Catch::StartsWith("turnout serve: " + file.string() + ":2:22: "));
  CHECK_THAT(result.err, Catch::Contains((dir / "missing-secret").string()));
  CHECK_THAT(result.err, Catch::Contains("\n" + file.string() + ":3:1: unknown key 'workrs'"));
  CHECK_THAT(result.err, Catch::Contains("\n" + file.string() + ":4:16: "));
  CHECK_THAT(result.err, Catch::Contains("TURNOUT_TEST_UNSET_TOKEN"));
  // A repository's own secrets, read at start too, come in the same message at their keys.
  CHECK_THAT(result.err, Catch::Contains("\n" + file.string() + ":7:26: repository you/app: "));
  CHECK_THAT(result.err, Catch::Contains((dir / "missing-repo-secret").string()));
  CHECK_THAT(result.err, Catch::Contains("\n" + file.string() + ":8:16: repository you/app: "));
  CHECK_THAT(result.err, Catch::Contains("TURNOUT_TEST_UNSET_FETCH_TOKEN"));
}

TEST_CASE("serve: a bad config names file, line and column", "[integration][serve]") {
  TempDir dir;
  const auto file = dir.write("agent.yml", "listen: 127.0.0.1:1\nworkrs: 2\n");
  const auto result = run_turnout({"serve", "--config", file.string()});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::StartsWith("turnout serve: " + file.string() + ":2:1: "));
}

TEST_CASE("serve: a client that stops sending is cut off by the read timeout", "[integration][serve][slow]") {
  AgentServer server;
  Poco::Net::StreamSocket slow(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(server.port)));
  slow.setReceiveTimeout(Poco::Timespan(30, 0));
  const std::string head = raw_webhook_head(100);
  slow.sendBytes(head.data(), static_cast<int>(head.size()));
  const auto started = std::chrono::steady_clock::now();
  // Meanwhile the server answers everyone else.
  CHECK(server.get("/healthz").status == 200);
  char buffer[4096];
  int received = 0;
  try {
    while ((received = slow.receiveBytes(buffer, sizeof(buffer))) > 0) {
    }
  } catch (const Poco::Exception&) {
    // A reset is also an answer: the server let go of the connection.
  }
  const auto waited = std::chrono::steady_clock::now() - started;
  CHECK(waited < std::chrono::seconds(20));
  CHECK(server.runs()->size() == 0);
}

namespace {

std::string tls_config_text(int port, const fs::path& dir, const SelfSignedCert& cert) {
  return config_text(port, dir, true) + "tls:\n  cert: " + cert.cert.string() +
         "\n  key: " + cert.key.string() + "\n";
}

// GET over HTTPS, verified against `cert` as the only CA; 0 when no answer came.
int https_status(int port, const SelfSignedCert& cert, const std::string& path) {
  try {
    Poco::Net::HTTPSClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port),
                                          client_context_trusting(cert.cert));
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest get(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(get);
    Poco::Net::HTTPResponse response;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
    return static_cast<int>(response.getStatus());
  } catch (const Poco::Exception&) {
    return 0;
  }
}

}  // namespace

TEST_CASE("serve: with tls: it answers HTTPS", "[integration][serve][tls]") {
  TempDir dir;
  dir.write("secret", kSecret + "\n");
  const auto cert = make_self_signed_cert(dir.path());
  // Retries on another port when the chosen one was taken meanwhile.
  std::string log;
  for (int attempt = 0; attempt < 5; ++attempt) {
    const int port = free_loopback_port();
    dir.write("agent.yml", tls_config_text(port, dir.path(), cert));
    BackgroundProcess serve({TURNOUT_BINARY, "serve", "--config", (dir / "agent.yml").string()},
                            dir / "serve.log");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline && serve.running() &&
           (status = https_status(port, cert, "/healthz")) != 200) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    log = serve.output();
    if (!serve.running()) continue;
    INFO(log);
    CHECK(status == 200);
    return;
  }
  FAIL("turnout serve with tls: did not start on any of 5 ports: " << log);
}

TEST_CASE("serve: with tls: a missing certificate stops it with one line naming the file",
          "[integration][serve][tls]") {
  TempDir dir;
  dir.write("secret", kSecret + "\n");
  auto cert = make_self_signed_cert(dir.path());
  cert.cert = dir / "nowhere.crt";
  dir.write("agent.yml", tls_config_text(free_loopback_port(), dir.path(), cert));
  const auto result = run_turnout({"serve", "--config", (dir / "agent.yml").string()});
  CHECK(result.exit_code == 2);
  CHECK(result.err == "turnout serve: tls: cannot read certificate " + cert.cert.string() +
                          ": No such file or directory\n");
}

TEST_CASE("serve: the transport's refusals of /webhook are counted in /metrics with their code",
          "[integration][serve]") {
  AgentServer server;
  CHECK(server.raw(raw_webhook_head(26214401) + "{\"ref\":", false) == 413);
  CHECK(server.raw(raw_webhook_head(1000) + "{\"ref\":\"refs/heads/main\"", true) == 400);
  CHECK(server.raw("POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", true) == 400);
  const auto metrics = server.get("/metrics");
  CHECK_THAT(metrics.body, Catch::Contains("turnout_webhook_rejected_total{code=\"413\"} 1\n"));
  CHECK_THAT(metrics.body, Catch::Contains("turnout_webhook_rejected_total{code=\"400\"} 2\n"));
}

TEST_CASE("serve: SIGHUP reloads a renewed TLS certificate without a restart", "[integration][serve][tls]") {
  TempDir dir;
  dir.write("secret", kSecret + "\n");
  const auto first = make_self_signed_cert(dir.path(), "first");
  const auto renewed = make_self_signed_cert(dir.path(), "renewed");
  const SelfSignedCert live{dir / "live.crt", dir / "live.key"};
  fs::copy_file(first.cert, live.cert);
  fs::copy_file(first.key, live.key);
  for (int attempt = 0; attempt < 5; ++attempt) {
    const int port = free_loopback_port();
    dir.write("agent.yml", tls_config_text(port, dir.path(), live));
    BackgroundProcess serve({TURNOUT_BINARY, "serve", "--config", (dir / "agent.yml").string()},
                            dir / "serve.log");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline && serve.running() &&
           https_status(port, first, "/healthz") != 200)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!serve.running()) continue;
    REQUIRE(https_status(port, first, "/healthz") == 200);

    fs::copy_file(renewed.cert, live.cert, fs::copy_options::overwrite_existing);
    fs::copy_file(renewed.key, live.key, fs::copy_options::overwrite_existing);
    REQUIRE(serve.send_signal(SIGHUP));
    const auto reloaded = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < reloaded && https_status(port, renewed, "/healthz") != 200)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    INFO(serve.output());
    CHECK(serve.running());
    CHECK(https_status(port, renewed, "/healthz") == 200);
    CHECK(https_status(port, first, "/healthz") == 0);
    CHECK_THAT(serve.output(),
               Catch::Contains("SIGHUP: TLS certificate reloaded from " + live.cert.string()));
    return;
  }
  FAIL("turnout serve with tls: did not start on any of 5 ports");
}

TEST_CASE("serve: a repository's own webhook secret is read at start and checks its deliveries",
          "[integration][serve]") {
  AgentServer server("", {"main"}, false);
  server.dir.write("own-secret", "the repository's own secret\n");
  server.repo_extra = "webhook_secret_file: " + (server.dir / "own-secret").string() + "\n";
  const auto sha = server.app.commit(
      ".turnout.yml", "name: app\nstages:\n  - name: b\n    steps:\n      - run: 'true'\n", "app");
  server.start();
  const auto body = push_payload(sha);
  // Signed with the agent's secret: not this repository's.
  const auto refused = server.post("push", "d-1", body);
  CHECK(refused.status == 401);
  CHECK_THAT(refused.body, Catch::Contains("own webhook secret"));
  const auto accepted =
      server.post("push", "d-2", body, turnout::agent::sign("the repository's own secret", body));
  CHECK(accepted.status == 202);
}

TEST_CASE("serve: refuses to start when a repository's own secret cannot be read", "[integration][serve]") {
  TempDir dir;
  std::string config = config_text(free_loopback_port(), dir.path(), false);
  config += "    webhook_secret_file: " + (dir / "missing-secret").string() + "\n";
  dir.write("agent.yml", config);
  const auto result = run_turnout({"serve", "--config", (dir / "agent.yml").string()});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err,
             Catch::StartsWith("turnout serve: " + (dir / "agent.yml").string() +
                               ":11:26: repository bradrydzewski/drone-test-go: cannot read file '" +
                               (dir / "missing-secret").string() + "' (webhook_secret_file)"));
}

namespace {

// Waits (up to 20 s) until the agent's log holds `text` `count` times.
bool wait_for_log(const AgentServer& server, const std::string& text, int count = 1) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    const auto log = server.process->output();
    int seen = 0;
    for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++seen;
    if (seen >= count) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// agent.yml with `from` replaced by `to` (which must be there).
void edit_config(AgentServer& server, const std::string& from, const std::string& to) {
  auto text = read_file(server.config());
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  server.dir.write("agent.yml", text);
}

}  // namespace

TEST_CASE("serve: SIGHUP reloads agent.yml's branches and tokens, an invalid one is refused whole",
          "[integration][serve]") {
  AgentServer server;
  const std::string sha(40, 'c');
  CHECK(server.push(sha, "before-reload", "release").json()->getValue<std::string>("result") == "ignored");
  CHECK(server.post_api("/api/runs/1/cancel", "Bearer reloaded-token").status == 403);

  server.dir.write("api-token", "reloaded-token\n");
  edit_config(server, "branches: [main]", "branches: [main, release]");
  edit_config(server, "shutdown_grace: 1s",
              "shutdown_grace: 2s\napi_token_file: " + (server.dir / "api-token").string());
  REQUIRE(server.process->send_signal(SIGHUP));
  INFO(server.process->output());
  REQUIRE(wait_for_log(server, "SIGHUP: " + server.config().string() + " reloaded (1 repositories)"));
  CHECK(wait_for_log(server, "SIGHUP: `shutdown_grace` changed in " + server.config().string() +
                                 ": it takes effect at the next restart"));
  CHECK(server.push(sha, "after-reload", "release").status == 202);
  CHECK(server.post_api("/api/runs/1/cancel", "Bearer reloaded-token").status != 403);

  // A key that does not exist and a secret file that is gone: both named, nothing taken.
  edit_config(server, "branches: [main, release]", "branches: [main]\n    brnaches: [x]");
  fs::remove(server.dir / "api-token");
  REQUIRE(server.process->send_signal(SIGHUP));
  REQUIRE(wait_for_log(server, "agent.yml not reloaded (the running configuration stays)"));
  CHECK(wait_for_log(server, server.config().string() + ":"));
  CHECK_THAT(server.process->output(), Catch::Contains("brnaches"));
  CHECK_THAT(server.process->output(), Catch::Contains("api-token"));
  CHECK(server.process->running());
  CHECK(server.push(sha, "after-bad-reload", "release").status == 202);
  CHECK(server.post_api("/api/runs/1/cancel", "Bearer reloaded-token").status != 403);
}

TEST_CASE("serve: a delivery id with control characters is refused and never reaches the log raw",
          "[integration][serve]") {
  AgentServer server;
  const std::string body = push_payload(std::string(40, 'c'), "main");
  const std::string head =
      "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "X-GitHub-Event: push\r\nX-GitHub-Delivery: evil\x1b[2J\a-id\r\n"
      "X-Hub-Signature-256: " +
      sign(kSecret, body) + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  CHECK(server.raw(head + body, true) == 400);
  CHECK(server.runs()->size() == 0);
  CHECK_THAT(server.process->output(), !Catch::Contains("\x1b[2J"));
}
