#include "tests/support/fake_github.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/background_process.h"

namespace turnout::test {

const std::string kGithubToken = "ghp_fake_token_for_tests";

namespace {

const std::string kName = "[A-Za-z0-9_.-]+";
const std::regex kStatusPath("^/repos/" + kName + "/" + kName + "/statuses/[0-9a-f]{40}$");
const std::regex kDeploymentsPath("^/repos/" + kName + "/" + kName + "/deployments$");
const std::regex kDeploymentStatusPath("^/repos/" + kName + "/" + kName + "/deployments/([0-9]+)/statuses$");

const std::set<std::string> kStatusStates = {"error", "failure", "pending", "success"};
const std::set<std::string> kDeploymentStates = {"error",  "failure", "inactive", "in_progress",
                                                 "queued", "pending", "success"};

std::size_t characters(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return text;
}

/// Checks a body's keys against the documented ones and the types of the ones present.
class BodyCheck {
 public:
  BodyCheck(const GithubRequest& request, std::vector<std::string>& problems)
      : json_(request.json), problems_(problems) {}

  void allowed(const std::set<std::string>& keys) {
    if (!json_) return;
    for (const auto& [key, value] : *json_) {
      if (keys.count(key) == 0) problems_.push_back("undocumented field '" + key + "'");
    }
  }
  void string(const std::string& key, bool required) {
    if (!json_ || !json_->has(key)) {
      if (required) problems_.push_back("missing required field '" + key + "'");
      return;
    }
    if (!json_->get(key).isString()) problems_.push_back("'" + key + "' must be a string");
  }
  void one_of(const std::string& key, const std::set<std::string>& values) {
    string(key, true);
    if (json_ && json_->has(key) && values.count(json_->getValue<std::string>(key)) == 0)
      problems_.push_back("'" + key + "' is not an allowed value: " + json_->getValue<std::string>(key));
  }
  void boolean(const std::string& key) {
    if (json_ && json_->has(key) && !json_->get(key).isBoolean())
      problems_.push_back("'" + key + "' must be a boolean");
  }
  void url(const std::string& key) {
    string(key, false);
    if (json_ && json_->has(key) && json_->get(key).isString()) {
      const auto value = json_->getValue<std::string>(key);
      if (value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0)
        problems_.push_back("'" + key + "' must be a URL: " + value);
    }
  }
  // GitHub answers 422 for a description over 140 characters; true when it is.
  bool description_too_long() {
    string("description", false);
    return json_ && json_->has("description") && json_->get("description").isString() &&
           characters(json_->getValue<std::string>("description")) > 140;
  }

 private:
  Poco::JSON::Object::Ptr json_;
  std::vector<std::string>& problems_;
};

ScriptedAnswer json_answer(int status, const std::string& body) {
  ScriptedAnswer answer;
  answer.status = status;
  answer.body = body;
  return answer;
}

ScriptedAnswer validation_failed(const std::vector<std::string>& problems) {
  Poco::JSON::Object body;
  body.set("message", "Validation Failed");
  Poco::JSON::Array errors;
  for (const auto& problem : problems) errors.add(problem);
  body.set("errors", errors);
  std::ostringstream out;
  body.stringify(out);
  return json_answer(422, out.str());
}

void check_headers(const GithubRequest& request, std::vector<std::string>& problems) {
  const auto header = [&](const std::string& name) {
    const auto found = request.headers.find(name);
    return found == request.headers.end() ? std::string() : found->second;
  };
  if (header("accept") != "application/vnd.github+json")
    problems.push_back("Accept must be application/vnd.github+json, got '" + header("accept") + "'");
  if (header("x-github-api-version") != "2022-11-28")
    problems.push_back("X-GitHub-Api-Version must be 2022-11-28, got '" + header("x-github-api-version") +
                       "'");
  if (header("user-agent").rfind("turnout/", 0) != 0)
    problems.push_back("User-Agent must be turnout/<version>, got '" + header("user-agent") + "'");
  if (header("content-type").rfind("application/json", 0) != 0)
    problems.push_back("Content-Type must be application/json, got '" + header("content-type") + "'");
}

}  // namespace

ScriptedAnswer scripted(int status) {
  ScriptedAnswer answer;
  answer.status = status;
  return answer;
}

std::string GithubRequest::field(const std::string& name) const {
  if (!json || !json->has(name) || !json->get(name).isString()) return "";
  return json->getValue<std::string>(name);
}

struct StandInServer::Server {
  std::unique_ptr<Poco::Net::HTTPServer> http;
};

namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(const StandInHandler& handle) : handle_(handle) {}
  void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override {
    GithubRequest request;
    request.received_at = std::chrono::system_clock::now();
    request.method = in.getMethod();
    request.path = Poco::URI(in.getURI()).getPath();
    request.raw_path = in.getURI().substr(0, in.getURI().find('?'));
    for (const auto& [name, value] : in) request.headers[lowercase(name)] = value;
    Poco::StreamCopier::copyToString(in.stream(), request.body);
    try {
      request.json = Poco::JSON::Parser().parse(request.body).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
    }
    ScriptedAnswer answer;
    handle_(std::move(request), answer);
    out.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
    for (const auto& [name, value] : answer.headers) out.set(name, value);
    out.setContentType("application/json; charset=utf-8");
    out.setContentLength64(static_cast<Poco::Int64>(answer.body.size()));
    out.send() << answer.body;
  }

 private:
  const StandInHandler& handle_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(const StandInHandler& handle) : handle_(handle) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler(handle_);
  }

 private:
  const StandInHandler& handle_;
};

}  // namespace

StandInServer::StandInServer(int port,
                             std::optional<std::pair<std::filesystem::path, std::filesystem::path>> tls,
                             StandInHandler handler)
    : port_(port), tls_(std::move(tls)), handler_(std::move(handler)), server_(std::make_unique<Server>()) {}

StandInServer::~StandInServer() { stop(); }

void StandInServer::start() {
  const Poco::Net::SocketAddress address("127.0.0.1", static_cast<Poco::UInt16>(port_));
  auto params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(4);
  if (tls_) {
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, tls_->second.string(),
                               tls_->first.string(), "", Poco::Net::Context::VERIFY_NONE);
    Poco::Net::SecureServerSocket socket(context);
    socket.bind(address, true);
    socket.listen();
    server_->http = std::make_unique<Poco::Net::HTTPServer>(new Factory(handler_), socket, params);
  } else {
    Poco::Net::ServerSocket socket;
    socket.bind(address, true);
    socket.listen();
    server_->http = std::make_unique<Poco::Net::HTTPServer>(new Factory(handler_), socket, params);
  }
  server_->http->start();
}

void StandInServer::stop() {
  if (!server_->http) return;
  server_->http->stopAll(true);
  server_->http.reset();
}

FakeGithub::FakeGithub(std::optional<std::pair<std::filesystem::path, std::filesystem::path>> tls)
    : tls_(std::move(tls)), token_(kGithubToken) {
  port_ = free_loopback_port();
  server_ = std::make_unique<StandInServer>(
      port_, tls_,
      [this](GithubRequest request, ScriptedAnswer& answer) { return handle(std::move(request), answer); });
  start();
}

FakeGithub::~FakeGithub() { stop(); }

std::string FakeGithub::url() const {
  return (tls_ ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(port_);
}

void FakeGithub::start() { server_->start(); }

void FakeGithub::stop() { server_->stop(); }

void FakeGithub::script(std::vector<ScriptedAnswer> answers) {
  std::lock_guard lock(mutex_);
  script_.insert(script_.end(), answers.begin(), answers.end());
}

void FakeGithub::accept_token(std::string token) {
  std::lock_guard lock(mutex_);
  token_ = std::move(token);
}

GithubRequest FakeGithub::handle(GithubRequest request, ScriptedAnswer& answer) {
  std::lock_guard lock(mutex_);
  const bool notify = request.path.rfind("/notify/", 0) == 0;
  answer = json_answer(notify ? 200 : 201, "{}");
  auto& problems = request.problems;
  if (request.method != "POST") problems.push_back("method must be POST");
  if (!notify) check_headers(request, problems);
  if (!request.json) problems.push_back("the body is not a JSON object");
  BodyCheck body(request, problems);
  std::smatch match;
  bool too_long = false;
  bool unknown_deployment = false;
  if (notify) {
  } else if (std::regex_match(request.path, kStatusPath)) {
    body.allowed({"state", "target_url", "description", "context"});
    body.one_of("state", kStatusStates);
    body.url("target_url");
    body.string("context", false);
    too_long = body.description_too_long();
    answer.body = "{\"id\":" + std::to_string(next_id_++) + ",\"state\":\"" + request.field("state") +
                  "\",\"context\":\"" + request.field("context") + "\"}";
  } else if (std::regex_match(request.path, kDeploymentsPath)) {
    body.allowed({"ref", "task", "auto_merge", "required_contexts", "payload", "environment", "description",
                  "transient_environment", "production_environment"});
    body.string("ref", true);
    body.string("task", false);
    body.string("environment", false);
    body.boolean("auto_merge");
    if (request.json && request.json->has("required_contexts") && !request.json->isArray("required_contexts"))
      problems.push_back("'required_contexts' must be an array");
    too_long = body.description_too_long();
    const auto id = next_id_++;
    deployments_.push_back(id);
    answer.body = "{\"id\":" + std::to_string(id) + ",\"ref\":\"" + request.field("ref") +
                  "\",\"environment\":\"" + request.field("environment") + "\"}";
  } else if (std::regex_match(request.path, match, kDeploymentStatusPath)) {
    body.allowed(
        {"state", "target_url", "log_url", "description", "environment", "environment_url", "auto_inactive"});
    body.one_of("state", kDeploymentStates);
    body.url("log_url");
    body.url("environment_url");
    body.boolean("auto_inactive");
    too_long = body.description_too_long();
    const auto id = std::stoll(match[1].str());
    unknown_deployment = std::find(deployments_.begin(), deployments_.end(), id) == deployments_.end();
    answer.body = "{\"id\":" + std::to_string(next_id_++) + ",\"state\":\"" + request.field("state") + "\"}";
  } else {
    problems.push_back("no such endpoint");
  }
  const bool authorized = notify || request.headers["authorization"] == "Bearer " + token_;
  if (!script_.empty()) {
    answer = script_.front();
    script_.erase(script_.begin());
  } else if (!authorized) {
    answer = json_answer(
        401, R"({"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"})");
  } else if (too_long) {
    answer = validation_failed({"description is too long (maximum is 140 characters)"});
  } else if (unknown_deployment) {
    answer = json_answer(404, R"({"message":"Not Found"})");
  } else if (!problems.empty()) {
    answer = validation_failed(problems);
  }
  request.answered = answer.status;
  requests_.push_back(request);
  return request;
}

std::vector<GithubRequest> FakeGithub::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<GithubRequest> FakeGithub::requests_to(const std::string& prefix) const {
  std::vector<GithubRequest> found;
  for (auto& request : requests()) {
    if (request.path.rfind(prefix, 0) == 0) found.push_back(std::move(request));
  }
  return found;
}

std::vector<std::string> problems_of(const std::vector<GithubRequest>& requests) {
  std::vector<std::string> all;
  for (const auto& request : requests) {
    for (const auto& problem : request.problems)
      all.push_back(request.method + " " + request.path + ": " + problem);
  }
  return all;
}

bool wait_for_requests(const std::function<std::vector<GithubRequest>()>& requests,
                       const std::function<bool(const std::vector<GithubRequest>&)>& done,
                       std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done(requests())) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done(requests());
}

std::vector<std::string> FakeGithub::problems() const { return problems_of(requests()); }

bool FakeGithub::wait_for(const std::function<bool(const std::vector<GithubRequest>&)>& done,
                          std::chrono::seconds timeout) const {
  return wait_for_requests([this] { return requests(); }, done, timeout);
}

std::vector<GithubRequest> statuses_for(const std::vector<GithubRequest>& requests,
                                        const std::string& context, const std::string& sha) {
  std::vector<GithubRequest> found;
  for (const auto& request : requests) {
    const auto at = request.path.find("/statuses/");
    if (at == std::string::npos || request.field("context") != context || request.answered >= 300) continue;
    if (!sha.empty() && request.path.substr(at + 10) != sha) continue;
    found.push_back(request);
  }
  return found;
}

std::vector<std::string> states_of(const std::vector<GithubRequest>& requests, const std::string& context,
                                   const std::string& sha) {
  std::vector<std::string> states;
  for (const auto& request : statuses_for(requests, context, sha)) states.push_back(request.field("state"));
  return states;
}

}  // namespace turnout::test
