#include "tests/support/fake_forge.h"

#include <algorithm>
#include <regex>
#include <set>

#include "tests/support/background_process.h"

namespace turnout::test {

const std::string kForgeToken = "forge_fake_token_for_tests";

namespace {

const std::string kName = "[A-Za-z0-9_.-]+";
const std::regex kGiteaStatusPath("^/api/v1/repos/" + kName + "/" + kName + "/statuses/([0-9a-f]{40})$");
// A numeric id, or a path whose slashes are encoded (`group%2Fproject`): a bare `/` would be
// another endpoint.
const std::regex kGitlabStatusPath(
    "^/api/v4/projects/([0-9]+|[A-Za-z0-9_.~-]+(%2F[A-Za-z0-9_.~-]+)+)/statuses/([0-9a-f]{40})$");

const std::set<std::string> kGiteaStates = {"pending", "success", "error", "failure", "warning"};
const std::set<std::string> kGitlabStates = {"pending", "running",  "success",
                                             "failed",  "canceled", "skipped"};
const std::set<std::string> kGitlabFinished = {"success", "failed", "canceled", "skipped"};
constexpr std::size_t kGitlabMaxText = 255;

std::size_t characters(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string header(const GithubRequest& request, const std::string& name) {
  const auto found = request.headers.find(name);
  return found == request.headers.end() ? std::string() : found->second;
}

ScriptedAnswer json_answer(int status, std::string body) {
  ScriptedAnswer answer;
  answer.status = status;
  answer.body = std::move(body);
  return answer;
}

// The keys outside `allowed`, and the non-string values of the string keys present.
void check_fields(const GithubRequest& request, const std::set<std::string>& allowed,
                  const std::set<std::string>& strings, std::vector<std::string>& problems) {
  if (!request.json) {
    problems.push_back("the body is not a JSON object");
    return;
  }
  for (const auto& [key, value] : *request.json) {
    if (allowed.count(key) == 0) problems.push_back("undocumented field '" + key + "'");
    if (strings.count(key) > 0 && !value.isString()) problems.push_back("'" + key + "' must be a string");
  }
}

void check_common(const GithubRequest& request, std::vector<std::string>& problems) {
  if (request.method != "POST") problems.push_back("method must be POST");
  if (header(request, "content-type").rfind("application/json", 0) != 0)
    problems.push_back("Content-Type must be application/json, got '" + header(request, "content-type") +
                       "'");
  if (header(request, "user-agent").rfind("turnout/", 0) != 0)
    problems.push_back("User-Agent must be turnout/<version>, got '" + header(request, "user-agent") + "'");
}

void check_url(const GithubRequest& request, std::vector<std::string>& problems) {
  const auto url = request.field("target_url");
  if (!url.empty() && url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    problems.push_back("'target_url' must be a URL: " + url);
}

}  // namespace

FakeForge::FakeForge(agent::Forge forge) : forge_(forge) {
  port_ = free_loopback_port();
  server_ = std::make_unique<StandInServer>(
      port_, std::nullopt,
      [this](GithubRequest request, ScriptedAnswer& answer) { return handle(std::move(request), answer); });
  server_->start();
}

std::string FakeForge::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FakeForge::script(std::vector<ScriptedAnswer> answers) {
  std::lock_guard lock(mutex_);
  script_.insert(script_.end(), answers.begin(), answers.end());
}

GithubRequest FakeForge::handle(GithubRequest request, ScriptedAnswer& answer) {
  std::lock_guard lock(mutex_);
  check_common(request, request.problems);
  request = forge_ == agent::Forge::gitlab ? judge_gitlab(std::move(request), answer)
                                           : judge_gitea(std::move(request), answer);
  if (!script_.empty()) {
    answer = script_.front();
    script_.erase(script_.begin());
  }
  request.answered = answer.status;
  requests_.push_back(request);
  return request;
}

GithubRequest FakeForge::judge_gitea(GithubRequest request, ScriptedAnswer& answer) {
  auto& problems = request.problems;
  if (!std::regex_match(request.path, kGiteaStatusPath)) {
    problems.push_back("no such endpoint");
    answer = json_answer(404, R"({"message":"The target couldn't be found.","errors":[]})");
    return request;
  }
  check_fields(request, {"state", "context", "description", "target_url"},
               {"state", "context", "description", "target_url"}, problems);
  if (kGiteaStates.count(request.field("state")) == 0)
    problems.push_back("'state' is not one of Gitea's: '" + request.field("state") + "'");
  check_url(request, problems);
  if (header(request, "authorization") != "token " + kForgeToken) {
    answer = json_answer(401, R"({"message":"token is required","url":"https://docs.gitea.com/api"})");
  } else if (!problems.empty()) {
    answer = json_answer(422, R"({"message":"Unprocessable Entity","errors":[]})");
  } else {
    answer =
        json_answer(201, "{\"id\":" + std::to_string(next_id_++) + ",\"status\":\"" + request.field("state") +
                             "\",\"context\":\"" + request.field("context") + "\"}");
  }
  return request;
}

GithubRequest FakeForge::judge_gitlab(GithubRequest request, ScriptedAnswer& answer) {
  auto& problems = request.problems;
  std::smatch match;
  if (!std::regex_match(request.raw_path, match, kGitlabStatusPath)) {
    problems.push_back("no such endpoint (the project's path must be URL-encoded: " + request.raw_path + ")");
    answer = json_answer(404, R"({"error":"404 Not Found"})");
    return request;
  }
  check_fields(request,
               {"state", "ref", "name", "context", "target_url", "description", "coverage", "pipeline_id"},
               {"state", "ref", "name", "context", "target_url", "description"}, problems);
  std::vector<std::string> bad;
  const auto state = request.field("state");
  if (kGitlabStates.count(state) == 0) bad.push_back("state does not have a valid value");
  if (characters(request.field("description")) > kGitlabMaxText)
    bad.push_back("description is too long (maximum is 255 characters)");
  if (characters(request.field("target_url")) > kGitlabMaxText)
    bad.push_back("target_url is too long (maximum is 255 characters)");
  check_url(request, problems);
  const std::string name = request.field("name").empty() ? request.field("context") : request.field("name");
  const std::string key = match[3].str() + " " + (name.empty() ? "default" : name);
  const auto open = open_.find(key);
  const bool same_state = open != open_.end() && open->second == state;
  if (header(request, "private-token") != kForgeToken) {
    answer = json_answer(401, R"({"message":"401 Unauthorized"})");
  } else if (!bad.empty() || !problems.empty()) {
    for (const auto& reason : bad) problems.push_back(reason);
    answer = json_answer(400, R"({"message":"400 Bad request"})");
  } else if (same_state) {
    const std::string event = state == "pending" ? "enqueue" : "run";
    answer =
        json_answer(400, "{\"message\":\"Cannot transition status via :" + event + " from :" + state + "\"}");
  } else {
    if (kGitlabFinished.count(state) > 0) {
      open_.erase(key);
    } else {
      open_[key] = state;
    }
    answer = json_answer(201, "{\"id\":" + std::to_string(next_id_++) + ",\"status\":\"" + state +
                                  "\",\"name\":\"" + name + "\"}");
  }
  return request;
}

std::vector<GithubRequest> FakeForge::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<std::string> FakeForge::problems() const { return problems_of(requests()); }

bool FakeForge::wait_for(const std::function<bool(const std::vector<GithubRequest>&)>& done,
                         std::chrono::seconds timeout) const {
  return wait_for_requests([this] { return requests(); }, done, timeout);
}

std::vector<std::string> forge_states(const std::vector<GithubRequest>& requests,
                                      const std::string& context) {
  std::vector<std::string> states;
  for (const auto& request : requests) {
    const auto name = request.field("name").empty() ? request.field("context") : request.field("name");
    if (name == context && request.answered >= 200 && request.answered < 300)
      states.push_back(request.field("state"));
  }
  return states;
}

}  // namespace turnout::test
