#include "agent/webhook/webhook_intake.h"

#include <spdlog/spdlog.h>

#include "agent/webhook/signature.h"

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
  return run;
}

}  // namespace

WebhookIntake::WebhookIntake(const ReposConfig& config, RunQueue& queue, std::optional<std::string> secret,
                             std::function<void(bool)> queued, Reporting* reporting)
    : config_(config),
      queue_(queue),
      secret_(std::move(secret)),
      queued_(std::move(queued)),
      reporting_(reporting) {}

IntakeAnswer WebhookIntake::accept_webhook(const IntakeRequest& request) const {
  if (secret_) {
    const auto check = verify_signature(*secret_, request.body, request.signature);
    if (check != SignatureCheck::ok) {
      spdlog::warn("webhook {}: signature {}: rejected", request.delivery, to_string(check));
      return answer(401, "rejected", describe(check));
    }
  }
  if (request.delivery.empty()) return answer(400, "rejected", "missing X-GitHub-Delivery header");
  auto parsed = parse_github_event(request.event, request.body);
  if (!parsed) {
    spdlog::warn("webhook {}: bad request: {}", request.delivery, parsed.error().message);
    return answer(400, "rejected", parsed.error().message);
  }
  const ParsedEvent& event = parsed.value();
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
    return answer(500, "error", "the run could not be recorded; GitHub may redeliver");
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
    return answer(500, "error", "the delivery could not be recorded; GitHub may redeliver");
  }
  if (event.kind != EventKind::ping) spdlog::info("webhook {}: ignored: {}", request.delivery, reason);
  return answer(202, "ignored", reason);
}

}  // namespace turnout::agent
