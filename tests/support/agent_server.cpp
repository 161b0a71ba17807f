#include "tests/support/agent_server.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include <catch2/catch.hpp>
#include <sstream>
#include <thread>

#include "agent/client/agent_presence.h"
#include "agent/webhook/gitea_signature.h"
#include "agent/webhook/signature.h"
#include "tests/support/command.h"
#include "tests/support/fixtures.h"

namespace turnout::test {

namespace fs = std::filesystem;

const std::string kAgentSecret = "a webhook secret for tests";

namespace {

std::string indented(const std::string& lines) {
  std::string out;
  for (std::size_t start = 0; start < lines.size();) {
    const auto end = lines.find('\n', start);
    out += "    " + lines.substr(start, end - start) + "\n";
    start = end == std::string::npos ? lines.size() : end + 1;
  }
  return out;
}

}  // namespace

Poco::JSON::Object::Ptr Answer::json() const {
  INFO(body);
  return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}

fs::path github_fixture(const std::string& relative) { return webhook_fixtures_dir() / "github" / relative; }

std::string push_payload(const std::string& sha, const std::string& branch) {
  const auto text = read_file(github_fixture("push/woodpecker__push-main.json"));
  auto payload = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
  payload->set("after", sha);
  payload->set("ref", "refs/heads/" + branch);
  std::ostringstream out;
  payload->stringify(out);
  return out.str();
}

std::string forge_push_payload(agent::Forge forge, const std::string& sha, const std::string& branch) {
  if (forge == agent::Forge::github) return push_payload(sha, branch);
  const bool gitlab = forge == agent::Forge::gitlab;
  const auto file =
      gitlab ? "gitlab/push/go-scm__push-master.json" : "gitea/push/woodpecker__push-main-3-commits.json";
  const auto text = read_file(webhook_fixtures_dir() / file);
  auto payload = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
  payload->set("after", sha);
  payload->set("ref", "refs/heads/" + branch);
  if (gitlab) {
    payload->set("checkout_sha", sha);
    payload->getObject("project")->set("path_with_namespace", "woodpecker-ci/woodpecker");
  } else {
    payload->getObject("repository")->set("full_name", "woodpecker-ci/woodpecker");
  }
  std::ostringstream out;
  payload->stringify(out);
  return out.str();
}

AgentServer::AgentServer(std::string extra, std::vector<std::string> branches, bool start_now)
    : app(dir / "app"), extra_(std::move(extra)), branches_(std::move(branches)) {
  dir.write("secret", kAgentSecret + "\n");
  if (start_now) start();
}

void AgentServer::start(const std::vector<std::string>& flags) {
  std::string branches;
  for (const auto& branch : branches_) branches += (branches.empty() ? "" : ", ") + branch;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (port == 0 || attempt > 0) port = free_loopback_port();
    dir.write("agent.yml", "listen: 127.0.0.1:" + std::to_string(port) + "\npublic_url: " + public_url +
                               "\ndata_dir: " + data().string() + "\nwebhook_secret_file: " +
                               (dir / "secret").string() + "\nshutdown_grace: 1s\n" + extra_ +
                               "repos:\n  - name: woodpecker-ci/woodpecker\n    url: " + app.url() +
                               "\n    branches: [" + branches + "]\n" + indented(repo_extra));
    std::vector<std::string> argv = {TURNOUT_BINARY, "serve", "--config", config().string()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    process = std::make_unique<BackgroundProcess>(argv, dir / "serve.log");
    if (wait_healthy()) return;
    process->stop(SIGKILL);
  }
  FAIL("turnout serve did not become healthy: " << process->output());
}

bool AgentServer::wait_healthy() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline && process->running()) {
    // Up once it answers and has said where (agent.json: the token its API's reads take).
    if (port_accepts(port) && get("/healthz").status == 200 && !local_token().empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

Answer AgentServer::request(Poco::Net::HTTPRequest& request, const std::string& body) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(30, 0));
  request.setContentLength64(static_cast<Poco::Int64>(body.size()));
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Answer answer{static_cast<int>(response.getStatus()), ""};
  Poco::StreamCopier::copyToString(in, answer.body);
  return answer;
}

Answer AgentServer::get(const std::string& path) {
  Poco::Net::HTTPRequest get(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (path.rfind("/api/", 0) == 0) get.set("Authorization", "Bearer " + local_token());
  return request(get);
}

std::string AgentServer::local_token() const {
  const auto presence = agent::find_serving_agent(data().string());
  return presence ? presence->token : "";
}

Answer AgentServer::post_api(const std::string& path, const std::string& authorization) {
  Poco::Net::HTTPRequest post(Poco::Net::HTTPRequest::HTTP_POST, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!authorization.empty()) post.set("Authorization", authorization);
  return request(post);
}

Answer AgentServer::post(const std::string& event, const std::string& delivery, const std::string& body,
                         std::optional<std::string> signature) {
  Poco::Net::HTTPRequest post(Poco::Net::HTTPRequest::HTTP_POST, "/webhook",
                              Poco::Net::HTTPMessage::HTTP_1_1);
  post.setContentType("application/json");
  post.set("X-GitHub-Event", event);
  post.set("X-GitHub-Delivery", delivery);
  const std::string header = signature.value_or(agent::sign(kAgentSecret, body));
  if (!header.empty()) post.set("X-Hub-Signature-256", header);
  return request(post, body);
}

Answer AgentServer::post_fixture(const std::string& relative, const std::string& delivery) {
  const std::string body = read_file(github_fixture(relative));
  REQUIRE_FALSE(body.empty());
  return post(fs::path(relative).parent_path().string(), delivery, body);
}

int AgentServer::raw(const std::string& bytes, bool shutdown_send) {
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
  socket.setReceiveTimeout(Poco::Timespan(30, 0));
  socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  if (shutdown_send) socket.shutdownSend();
  std::string received;
  char buffer[4096];
  int n = 0;
  while ((n = socket.receiveBytes(buffer, sizeof(buffer))) > 0)
    received.append(buffer, static_cast<std::size_t>(n));
  INFO(received);
  if (received.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::stoi(received.substr(9, 3));
}

Answer AgentServer::post_headers(const std::vector<std::pair<std::string, std::string>>& headers,
                                 const std::string& body) {
  Poco::Net::HTTPRequest post(Poco::Net::HTTPRequest::HTTP_POST, "/webhook",
                              Poco::Net::HTTPMessage::HTTP_1_1);
  post.setContentType("application/json");
  for (const auto& [name, value] : headers) post.set(name, value);
  return request(post, body);
}

Answer AgentServer::push_from(agent::Forge forge, const std::string& sha, const std::string& delivery,
                              const std::string& branch) {
  const auto body = forge_push_payload(forge, sha, branch);
  std::vector<std::pair<std::string, std::string>> headers;
  switch (forge) {
    case agent::Forge::github:
      return post("push", delivery, body);
    case agent::Forge::forgejo:
      headers = {{"X-Forgejo-Event", "push"},
                 {"X-Forgejo-Delivery", delivery},
                 {"X-Forgejo-Signature", agent::sign_gitea(kAgentSecret, body)}};
      [[fallthrough]];
    case agent::Forge::gitea:
      headers.insert(headers.end(), {{"X-Gitea-Event", "push"},
                                     {"X-Gitea-Delivery", delivery},
                                     {"X-Gitea-Signature", agent::sign_gitea(kAgentSecret, body)},
                                     {"X-GitHub-Event", "push"},
                                     {"X-GitHub-Delivery", delivery},
                                     {"X-Hub-Signature-256", agent::sign(kAgentSecret, body)}});
      break;
    case agent::Forge::gitlab:
      headers = {{"X-Gitlab-Event", "Push Hook"},
                 {"X-Gitlab-Event-UUID", delivery},
                 {"X-Gitlab-Token", kAgentSecret}};
      break;
  }
  return post_headers(headers, body);
}

Answer AgentServer::push(const std::string& sha, const std::string& delivery, const std::string& branch) {
  return post("push", delivery, push_payload(sha, branch));
}

Poco::JSON::Array::Ptr AgentServer::runs() {
  const auto result = run_turnout({"runs", "--json", "--limit", "1000", "--data-dir", data().string()});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return Poco::JSON::Parser().parse(result.out).extract<Poco::JSON::Array::Ptr>();
}

Poco::JSON::Object::Ptr AgentServer::run(int id) {
  const auto answer = get("/api/runs/" + std::to_string(id));
  INFO(answer.body);
  REQUIRE(answer.status == 200);
  return answer.json();
}

Poco::JSON::Object::Ptr AgentServer::wait_until_ended(int id, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto found = run(id);
    const auto status = found->getValue<std::string>("status");
    if (status != "queued" && status != "running") return found;
    if (std::chrono::steady_clock::now() > deadline)
      FAIL("run " << id << " is still " << status << "\n" << process->output());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void AgentServer::wait_until_working(int id) {
  for (int i = 0; i < 1200; ++i) {
    const auto found = run(id);
    if (found->getValue<std::string>("status") == "running" && found->getArray("stages")->size() > 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL("run " << id << " never started working\n" << process->output());
}

void AgentServer::wait_for(const std::function<bool(const Poco::JSON::Array::Ptr&)>& done,
                           std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto all = runs();
    if (done(all)) return;
    if (std::chrono::steady_clock::now() > deadline) {
      std::ostringstream text;
      all->stringify(text);
      FAIL("runs never got there: " << text.str() << "\n" << process->output());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::vector<std::string> statuses_of(const Poco::JSON::Array::Ptr& runs, const std::string& sha) {
  std::vector<std::string> statuses;
  for (std::size_t i = runs->size(); i-- > 0;) {
    const auto run = runs->getObject(static_cast<unsigned>(i));
    if (run->getValue<std::string>("sha") == sha) statuses.push_back(run->getValue<std::string>("status"));
  }
  return statuses;
}

}  // namespace turnout::test
