#include "agent/report/report_sender.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "util/hmac.h"

namespace turnout::agent {

namespace {

// Reports looked at per visit to the store; the rest wait for the next.
constexpr int kBatch = 50;
// Sent and dropped reports kept for people to look at; older ones are pruned.
constexpr std::int64_t kKeepEnded = 1000;
constexpr auto kPruneEvery = std::chrono::minutes(10);

const std::string kDeploymentId = "{deployment_id}";

std::string user_agent() { return std::string("turnout/") + TURNOUT_VERSION; }

// The id in a created deployment's answer (201 {"id": 42, ...}).
std::optional<std::int64_t> created_id(const HttpReply& reply) {
  try {
    const auto object = Poco::JSON::Parser().parse(reply.body).extract<Poco::JSON::Object::Ptr>();
    if (object && object->has("id")) return object->getValue<std::int64_t>("id");
  } catch (const Poco::Exception&) {
  }
  return std::nullopt;
}

std::string describe(const ReportRecord& record) {
  return "report " + std::to_string(record.id) + " (" + to_string(record.report.kind) + " for " +
         record.report.repo + ")";
}

// A status for Gitea, Forgejo or GitLab: each takes its token in its own header.
util::Result<HttpPost> forge_request(const RepoConfig& repo, HttpPost post) {
  if (!repo.forge_api)
    return util::fail("repository " + repo.name + " has no " + to_string(repo.forge) + ": settings any more");
  auto token = read_secret(repo.forge_api->token);
  if (!token) return token.error();
  if (repo.forge == Forge::gitlab) {
    post.headers.emplace_back("PRIVATE-TOKEN", token.value());
  } else {
    post.headers.emplace_back("Authorization", "token " + token.value());
  }
  post.headers.emplace_back("Accept", "application/json");
  return post;
}

}  // namespace

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ReportSender::ReportSender(const ReposConfig& config, ReportQueue& reports, Metrics* metrics,
                           SenderOptions options)
    : config_(config),
      reports_(reports),
      metrics_(metrics),
      options_(std::move(options)),
      random_(std::random_device{}()) {}

ReportSender::~ReportSender() { stop(); }

void ReportSender::start() {
  std::lock_guard lock(mutex_);
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
}

void ReportSender::wake() {
  std::lock_guard lock(mutex_);
  woken_ = true;
  wake_.notify_all();
}

void ReportSender::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

std::int64_t ReportSender::drain(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const int tried = send_due();
    const auto counted = reports_.pending_count();
    const std::int64_t pending = counted ? counted.value() : 0;
    if (pending == 0 || std::chrono::steady_clock::now() >= deadline) return pending;
    if (tried == 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      std::this_thread::sleep_for(std::max(std::chrono::milliseconds(1), std::min(idle_wait(), left)));
    }
  }
}

void ReportSender::loop() {
  auto pruned = std::chrono::steady_clock::now() - kPruneEvery;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    if (std::chrono::steady_clock::now() - pruned >= kPruneEvery) {
      if (auto gone = reports_.prune_reports(kKeepEnded); !gone)
        spdlog::warn("reports: {}", gone.error().message);
      pruned = std::chrono::steady_clock::now();
    }
    const int tried = send_due();
    const auto wait = tried > 0 ? std::chrono::milliseconds(0) : idle_wait();
    lock.lock();
    if (wait.count() > 0 && !woken_) wake_.wait_for(lock, wait, [this] { return stopping_ || woken_; });
    woken_ = false;
  }
}

// Until the next report is due, at most a poll interval (other processes queue reports too).
std::chrono::milliseconds ReportSender::idle_wait() {
  const auto next = reports_.next_report_due();
  if (!next || !next.value()) return options_.poll;
  const auto now = unix_ms_now();
  auto until = std::chrono::milliseconds(*next.value() - now);
  // Due, yet nothing went out: what is due waits for a rate limit. Look again when the first
  // limit ends rather than every few milliseconds.
  if (until.count() <= 0) {
    until = options_.poll;
    for (const auto& [repo, blocked] : blocked_until_) {
      if (blocked > now) until = std::min(until, std::chrono::milliseconds(blocked - now));
    }
  }
  return std::clamp(until, std::chrono::milliseconds(10), options_.poll);
}

int ReportSender::send_due() {
  const auto now = unix_ms_now();
  const auto due = reports_.due_reports(now, kBatch);
  if (!due) {
    spdlog::error("reports: {}", due.error().message);
    return 0;
  }
  int tried = 0;
  for (const auto& record : due.value()) {
    const auto blocked = blocked_until_.find(record.report.repo);
    if (blocked != blocked_until_.end() && blocked->second > unix_ms_now()) continue;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
    }
    send(record);
    ++tried;
  }
  return tried;
}

void ReportSender::send(const ReportRecord& record) {
  if (record.dependency == ReportState::dropped ||
      (record.dependency == ReportState::sent && !record.dependency_id)) {
    Verdict verdict;
    verdict.action = Verdict::Action::drop;
    verdict.why = "its deployment (report " + std::to_string(record.report.depends_on.value_or(0)) +
                  ") was not created";
    apply(record, verdict, util::fail(verdict.why));
    return;
  }
  auto post = request_for(record);
  if (!post) {
    Verdict verdict;
    verdict.action = Verdict::Action::drop;
    verdict.why = post.error().message;
    apply(record, verdict, post.error());
    return;
  }
  const auto reply = post_json(post.value());
  std::uniform_real_distribution<double> jitter(0.0, 1.0);
  const auto verdict = judge(reply, record.attempts, options_.backoff, unix_ms_now() / 1000, jitter(random_));
  apply(record, verdict, reply);
}

util::Result<HttpPost> ReportSender::request_for(const ReportRecord& record) const {
  const auto config = config_.get();
  const RepoConfig* repo = find_repo(*config, record.report.repo);
  if (repo == nullptr)
    return util::fail("repository " + record.report.repo + " is no longer in " + config->file);
  HttpPost post;
  post.url = record.report.url;
  post.body = record.report.body;
  post.timeout = options_.timeout;
  post.ca_file = options_.ca_file;
  post.headers.emplace_back("User-Agent", user_agent());
  if (record.report.kind == ReportKind::notify) {
    const auto target = std::find_if(repo->notify.begin(), repo->notify.end(),
                                     [&](const NotifyTarget& t) { return t.url == record.report.url; });
    if (target == repo->notify.end())
      return util::fail("notify URL " + post.url + " is no longer configured");
    post.headers.emplace_back("X-Turnout-Event", "run");
    post.headers.emplace_back("X-Turnout-Delivery", std::to_string(record.id));
    if (!target->secret.configured()) return post;
    auto secret = read_secret(target->secret);
    if (!secret) return secret.error();
    // GitHub's header format and HMAC, so a receiver can reuse its check of GitHub's deliveries.
    post.headers.emplace_back("X-Turnout-Signature-256",
                              "sha256=" + util::hmac_sha256_hex(secret.value(), post.body));
    return post;
  }
  if (repo->forge != Forge::github) return forge_request(*repo, std::move(post));
  if (!repo->github) return util::fail("repository " + repo->name + " has no github: settings any more");
  auto token = read_secret(repo->github->token);
  if (!token) return token.error();
  post.headers.emplace_back("Authorization", "Bearer " + token.value());
  post.headers.emplace_back("Accept", "application/vnd.github+json");
  post.headers.emplace_back("X-GitHub-Api-Version", "2022-11-28");
  if (const auto at = post.url.find(kDeploymentId); at != std::string::npos)
    post.url.replace(at, kDeploymentId.size(), std::to_string(record.dependency_id.value_or(0)));
  return post;
}

void ReportSender::apply(const ReportRecord& record, const Verdict& verdict,
                         const util::Result<HttpReply>& reply) {
  // Counted before the store says so: whoever sees the report ended in the store (a test, a
  // scrape after `turnout run --report`) then sees it counted too.
  util::Status stored = util::Ok{};
  switch (verdict.action) {
    case Verdict::Action::sent: {
      const auto id = record.report.kind == ReportKind::deployment ? created_id(reply.value()) : std::nullopt;
      if (metrics_ != nullptr) metrics_->count_report("sent");
      stored = reports_.end_report(record.id, ReportState::sent, "", id);
      unauthorized_.erase(record.report.repo);
      spdlog::debug("{}: sent ({})", describe(record), reply.value().status);
      break;
    }
    case Verdict::Action::retry:
      if (verdict.rate_limited) blocked_until_[record.report.repo] = unix_ms_now() + verdict.wait.count();
      if (metrics_ != nullptr) metrics_->count_report("failed");
      stored =
          reports_.retry_report(record.id, unix_ms_now() + verdict.wait.count(), verdict.why, verdict.counts);
      spdlog::info("{}: {}; trying again in {} ms", describe(record), verdict.why, verdict.wait.count());
      break;
    case Verdict::Action::drop:
      dropped(record, verdict);
      stored = reports_.end_report(record.id, ReportState::dropped, verdict.why);
      break;
  }
  if (!stored) spdlog::error("reports: {}", stored.error().message);
}

void ReportSender::dropped(const ReportRecord& record, const Verdict& verdict) {
  if (metrics_ != nullptr) metrics_->count_report("dropped");
  if (!verdict.unauthorized) {
    spdlog::warn("{}: dropped: {}", describe(record), verdict.why);
    return;
  }
  // Every report of the repository would say the same: once is enough.
  if (!unauthorized_.insert(record.report.repo).second) return;
  const auto config = config_.get();
  const RepoConfig* repo = find_repo(*config, record.report.repo);
  const Forge forge = repo == nullptr ? Forge::github : repo->forge;
  if (forge != Forge::github) {
    spdlog::error(
        "repository {}: {} answered 401 Unauthorized: check the token and its scope ({}); its reports are "
        "dropped until a report gets through",
        record.report.repo, display_name(forge),
        forge == Forge::gitlab ? "api, by a user with at least the Developer role" : "write:repository");
    return;
  }
  spdlog::error(
      "repository {}: GitHub answered 401 Unauthorized: check the token and its scopes (repo:status for "
      "commit statuses, repo_deployment for deployments); its reports are dropped until a report gets "
      "through",
      record.report.repo);
}

}  // namespace turnout::agent
