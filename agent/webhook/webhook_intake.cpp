#include "agent/webhook/webhook_intake.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "agent/webhook/delivery_headers.h"
#include "agent/webhook/gitea_event.h"
#include "agent/webhook/gitlab_event.h"
#include "agent/webhook/signature.h"
#include "util/strings.h"

namespace turnout::agent {

namespace {

IntakeAnswer answer(int status, std::string result, std::string reason) {
  IntakeAnswer out;
  out.status = status;
  out.result = std::move(result);
  out.reason = std::move(reason);
  return out;
}

DeliveryRecord delivery_of(const IntakeRequest& request, const ParsedEvent& event) {
  DeliveryRecord delivery;
  delivery.forge = to_string(request.forge);
  delivery.delivery_id = request.delivery;
  delivery.event = event.event;
  delivery.repo = event.repository;
  if (event.kind == EventKind::push) {
    delivery.ref = event.push.ref;
    delivery.sha = event.push.after;
  }
  return delivery;
}

NewRun run_of(const PushEvent& push, const RepoConfig& repo) {
  NewRun run;
  run.repo = repo.url.empty() ? push.clone_url : repo.url;
  run.ref = push.ref;
  run.branch = push.branch;
  run.sha = push.after;
  run.trigger = Trigger::webhook;
  run.repo_name = repo.name;
  run.scheduled = true;
  run.message = push.head_commit_message;
  return run;
}

util::Result<ParsedEvent> parse_delivery(const IntakeRequest& request) {
  switch (request.forge) {
    case Forge::gitea:
    case Forge::forgejo:
      return parse_gitea_event(headers_of(request.forge).event, request.event, request.body);
    case Forge::gitlab:
      return parse_gitlab_event(request.event, request.body);
    case Forge::github:
      break;
  }
  return parse_github_event(request.event, request.body);
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

WebhookIntake::WebhookIntake(const ReposConfig& config, RunQueue& queue, WebhookSecrets secrets,
                             std::function<void(bool)> queued, Reporting* reporting, DeliveryLog* refusals)
    : config_(config),
      queue_(queue),
      secrets_(std::move(secrets)),
      queued_(std::move(queued)),
      reporting_(reporting),
      refusals_(refusals) {
  // Looked up by the configured name ignoring case, as repositories are.
  std::map<std::string, std::string> own;
  for (auto& [name, secret] : secrets_.repos) own[util::ascii_lower(name)] = std::move(secret);
  secrets_.repos = std::move(own);
}

// Before anything of the body is read: the delivery must pass the check of the agent's secret or
// of the own secret of a repository of its forge. Which one it passed is bound to the repository
// the body names, once it is read (check_repo).
std::optional<IntakeAnswer> WebhookIntake::verify(const IntakeRequest& request, Verified& verified) const {
  std::vector<std::pair<std::string, const std::string*>> candidates;
  if (secrets_.agent) candidates.emplace_back("", &*secrets_.agent);
  for (const auto& repo : config_.repos) {
    const auto own = secrets_.repos.find(util::ascii_lower(repo.name));
    if (own != secrets_.repos.end() && accepts_delivery(repo.forge, request.forge))
      candidates.emplace_back(repo.name, &own->second);
  }
  std::optional<SignatureCheck> failed;
  for (const auto& [name, secret] : candidates) {
    const auto check = verify_delivery(request, *secret);
    if (check == SignatureCheck::ok) verified.matched.push_back(name);
    if (check != SignatureCheck::ok && !failed) failed = check;
  }
  if (!verified.matched.empty()) return std::nullopt;
  if (secrets_.insecure) {
    verified.checked = false;
    return std::nullopt;
  }
  const auto check = failed.value_or(SignatureCheck::missing);
  // The delivery id and the check's name only: GitLab's header is the secret itself.
  // GitHub's line as it always was (README, Troubleshooting); other forges named.
  const std::string forge = request.forge == Forge::github ? "" : std::string(to_string(request.forge)) + " ";
  spdlog::warn("webhook {}: {}signature {}: rejected", request.delivery, forge, to_string(check));
  if (candidates.empty())
    return answer(
        401, "rejected",
        std::string("no webhook secret is configured for ") + display_name(request.forge) + " deliveries");
  return answer(401, "rejected", describe(request.forge, check));
}

// A repository takes deliveries from its own forge only, checked with its own secret when it has
// one, else with the agent's.
std::optional<IntakeAnswer> WebhookIntake::check_repo(const IntakeRequest& request, const Verified& verified,
                                                      const RepoConfig& repo) const {
  if (!accepts_delivery(repo.forge, request.forge)) {
    const std::string reason =
        "repository '" + repo.name + "' is configured with forge: " + to_string(repo.forge) +
        ", but this delivery came with " + display_name(request.forge) + "'s headers (" +
        headers_of(request.forge).event + "): set its `forge:` in " + config_.file + " or check the webhook";
    spdlog::warn("webhook {}: {}: rejected", request.delivery, reason);
    return answer(400, "rejected", reason);
  }
  const bool own = secrets_.repos.count(util::ascii_lower(repo.name)) > 0;
  const std::string needed = own ? repo.name : std::string();
  if (contains(verified.matched, needed) || (!verified.checked && !own && !secrets_.agent))
    return std::nullopt;
  const std::string reason = own ? "the delivery does not pass the check of repository '" + repo.name +
                                       "''s own webhook secret (" +
                                       describe(request.forge, SignatureCheck::mismatch) + ")"
                                 : describe(request.forge, SignatureCheck::mismatch);
  spdlog::warn("webhook {}: {} signature not {}: rejected", request.delivery, to_string(request.forge),
               own ? "repository " + repo.name + "'s own" : std::string("the agent's"));
  return answer(401, "rejected", reason);
}

IntakeAnswer WebhookIntake::accept_webhook(const IntakeRequest& request) const {
  auto decided = verdict(request);
  // Refusals are what people ask about ("my deploy did not fire"): recorded, without the body,
  // by the log's own thread, so that refusing costs the request no disk and no store lock.
  if (refusals_ != nullptr && decided.status >= 400 && decided.status < 500) {
    DeliveryRecord refused;
    refused.forge = to_string(request.forge);
    refused.delivery_id = request.delivery.substr(0, 200);
    refused.event = request.event.substr(0, 100);
    refused.reason = decided.reason;
    refusals_->refused(std::move(refused), decided.status);
  }
  return decided;
}

IntakeAnswer WebhookIntake::verdict(const IntakeRequest& request) const {
  Verified verified;
  if (auto refused = verify(request, verified)) return *refused;
  if (request.delivery.empty())
    return answer(400, "rejected", std::string("missing ") + headers_of(request.forge).delivery + " header");
  auto parsed = parse_delivery(request);
  if (!parsed) {
    spdlog::warn("webhook {}: bad request: {}", request.delivery, parsed.error().message);
    return answer(400, "rejected", parsed.error().message);
  }
  const ParsedEvent& event = parsed.value();
  if (const RepoConfig* repo = find_repo(config_, event.repository)) {
    if (auto refused = check_repo(request, verified, *repo)) return *refused;
  }
  if (event.kind == EventKind::ping) {
    auto pong = ignore(request, event, "ping received");
    if (pong.status >= 500) return pong;
    spdlog::info("webhook {}: ping for '{}': pong", request.delivery, event.repository);
    return answer(200, "pong", "ping received");
  }
  if (event.kind != EventKind::push) {
    return ignore(request, event, "event '" + event.event + "' does not start runs (only push does)");
  }
  return accept_push(request, event);
}

IntakeAnswer WebhookIntake::accept_push(const IntakeRequest& request, const ParsedEvent& event) const {
  const PushEvent& push = event.push;
  const RepoConfig* repo = find_repo(config_, push.repository_full_name);
  if (repo == nullptr) {
    return ignore(request, event, "repository '" + push.repository_full_name + "' is not configured");
  }
  const Decision decision = decide(push, repo->branches);
  if (!decision.accepted) return ignore(request, event, decision.reason);
  DeliveryRecord delivery = delivery_of(request, event);
  delivery.result = "queued";
  delivery.reason = decision.reason;
  const NewRun run = run_of(push, *repo);
  const auto queued = queue_.queue_delivery(delivery, run);
  if (!queued) {
    spdlog::error("webhook {}: {}", request.delivery, queued.error().message);
    return answer(
        500, "error",
        std::string("the run could not be recorded; ") + display_name(request.forge) + " may redeliver");
  }
  const auto id = queued.value().run_id;
  IntakeAnswer out = queued.value().duplicate
                         ? answer(200, "duplicate", "delivery already queued as run " + std::to_string(id))
                         : answer(202, "queued", decision.reason);
  out.run = id;
  out.url = run_url(config_, id);
  // After the answer is durable: a report lost to a crash here is one status, never the push.
  // Before the workers are woken, so that the run's "queued" usually precedes its "running".
  if (!queued.value().duplicate && reporting_ != nullptr) {
    reporting_->run_queued(id, run);
    for (const auto old : queued.value().superseded) reporting_->run_ended(old, repo->name);
  }
  if (!queued.value().duplicate && queued_) queued_(queued.value().cancel_in_progress);
  spdlog::info("webhook {}: push {} {} of {}: {} run {}", request.delivery, push.ref, push.after,
               push.repository_full_name, out.result, id);
  return out;
}

IntakeAnswer WebhookIntake::ignore(const IntakeRequest& request, const ParsedEvent& event,
                                   const std::string& reason) const {
  DeliveryRecord delivery = delivery_of(request, event);
  delivery.result = event.kind == EventKind::ping ? "pong" : "ignored";
  delivery.reason = reason;
  if (auto recorded = queue_.record_delivery(delivery); !recorded) {
    spdlog::error("webhook {}: {}", request.delivery, recorded.error().message);
    return answer(
        500, "error",
        std::string("the delivery could not be recorded; ") + display_name(request.forge) + " may redeliver");
  }
  if (event.kind != EventKind::ping) spdlog::info("webhook {}: ignored: {}", request.delivery, reason);
  return answer(202, "ignored", reason);
}

}  // namespace turnout::agent
