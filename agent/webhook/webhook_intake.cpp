#include "agent/webhook/webhook_intake.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <memory>

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

// The first field a person or the store reads as a name that holds a control character: a NUL
// would cut it short (two ids cut at a NUL would collide), an ESC would drive a terminal.
std::optional<std::string> control_character_in(const ParsedEvent& event) {
  const PushEvent& push = event.push;
  const std::pair<const std::string*, const char*> fields[] = {{&event.repository, "the repository's name"},
                                                               {&push.ref, "ref"},
                                                               {&push.before, "before"},
                                                               {&push.after, "after"},
                                                               {&push.clone_url, "the clone URL"},
                                                               {&push.ssh_url, "the ssh URL"},
                                                               {&push.pusher, "the pusher's name"}};
  for (const auto& [value, name] : fields) {
    if (util::first_control_character(*value) != std::string_view::npos)
      return std::string(name) + " holds a control character (such as U+0000): refused";
  }
  return std::nullopt;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

WebhookIntake::WebhookIntake(const ReposConfig& config, RunQueue& queue, WebhookSecrets secrets,
                             std::function<void(bool)> queued, Reporting* reporting, DeliveryLog* refusals)
    : settings_(settings_of(config, std::move(secrets))),
      queue_(queue),
      queued_(std::move(queued)),
      reporting_(reporting),
      refusals_(refusals) {}

WebhookIntake::Settings WebhookIntake::settings_of(const ReposConfig& config, WebhookSecrets secrets) {
  // Looked up by the configured name ignoring case, as repositories are.
  std::map<std::string, std::string> own;
  for (auto& [name, secret] : secrets.repos) own[util::ascii_lower(name)] = std::move(secret);
  secrets.repos = std::move(own);
  return Settings{config, std::move(secrets)};
}

void WebhookIntake::reload(const ReposConfig& config, WebhookSecrets secrets) {
  settings_.replace(settings_of(config, std::move(secrets)));
}

// Before anything of the body is read: the delivery must pass the check of the agent's secret or
// of the own secret of a repository of its forge. Which one it passed is bound to the repository
// the body names, once it is read (check_repo).
std::optional<IntakeAnswer> WebhookIntake::verify(const Settings& now, const IntakeRequest& request,
                                                  Verified& verified) const {
  const auto& [config, secrets] = now;
  std::vector<std::pair<std::string, const std::string*>> candidates;
  if (secrets.agent) candidates.emplace_back("", &*secrets.agent);
  for (const auto& repo : config.repos) {
    const auto own = secrets.repos.find(util::ascii_lower(repo.name));
    if (own != secrets.repos.end() && accepts_delivery(repo.forge, request.forge))
      candidates.emplace_back(repo.name, &own->second);
  }
  std::optional<SignatureCheck> failed;
  for (const auto& [name, secret] : candidates) {
    const auto check = verify_delivery(request, *secret);
    if (check == SignatureCheck::ok) verified.matched.push_back(name);
    if (check != SignatureCheck::ok && !failed) failed = check;
  }
  if (!verified.matched.empty()) return std::nullopt;
  if (secrets.insecure) {
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
  if (check == SignatureCheck::missing && request.sha1_only)
    return answer(401, "rejected",
                  "only X-Hub-Signature (HMAC-SHA1) was sent, and SHA-1 signatures are refused: the sender "
                  "must send X-Hub-Signature-256 (the HMAC-SHA256 of the body)");
  return answer(401, "rejected", describe(request.forge, check));
}

// A repository takes deliveries from its own forge only, checked with its own secret when it has
// one, else with the agent's.
std::optional<IntakeAnswer> WebhookIntake::check_repo(const Settings& now, const IntakeRequest& request,
                                                      const Verified& verified,
                                                      const RepoConfig& repo) const {
  const auto& [config, secrets] = now;
  if (!accepts_delivery(repo.forge, request.forge)) {
    const std::string reason =
        "repository '" + repo.name + "' is configured with forge: " + to_string(repo.forge) +
        ", but this delivery came with " + display_name(request.forge) + "'s headers (" +
        headers_of(request.forge).event + "): set its `forge:` in " + config.file + " or check the webhook";
    spdlog::warn("webhook {}: {}: rejected", request.delivery, reason);
    return answer(400, "rejected", reason);
  }
  const bool own = secrets.repos.count(util::ascii_lower(repo.name)) > 0;
  const std::string needed = own ? repo.name : std::string();
  if (contains(verified.matched, needed) || (!verified.checked && !own && !secrets.agent))
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
  std::promise<IntakeAnswer> promise;
  auto answered = promise.get_future();
  accept_webhook(request, [&promise](IntakeAnswer answer) { promise.set_value(std::move(answer)); });
  return answered.get();
}

void WebhookIntake::accept_webhook(const IntakeRequest& request, IntakeAnswered answered) const {
  // Refusals are what people ask about ("my deploy did not fire"): recorded, without the body,
  // by the log's own thread, so that refusing costs the request no disk and no store lock.
  if (refusals_ != nullptr) {
    answered = [refusals = refusals_, forge = to_string(request.forge),
                delivery = util::escape_control_characters(request.delivery.substr(0, 200)),
                event = util::escape_control_characters(request.event.substr(0, 100)),
                answered = std::move(answered)](IntakeAnswer decided) {
      if (decided.status >= 400 && decided.status < 500) {
        DeliveryRecord refused;
        refused.forge = forge;
        refused.delivery_id = delivery;
        refused.event = event;
        refused.reason = decided.reason;
        refusals->refused(std::move(refused), decided.status);
      }
      answered(std::move(decided));
    };
  }
  verdict(request, std::move(answered));
}

void WebhookIntake::verdict(const IntakeRequest& request, IntakeAnswered answered) const {
  // One agent.yml for the whole delivery, whatever a reload does meanwhile.
  auto now = settings_.get();
  const ReposConfig& config = now->config;
  Verified verified;
  if (auto refused = verify(*now, request, verified)) return answered(*refused);
  if (auto refused = check_framing(request)) return answered(*refused);
  auto parsed = parse_delivery(request);
  if (!parsed) {
    spdlog::warn("webhook {}: bad request: {}", request.delivery, parsed.error().message);
    return answered(answer(400, "rejected", parsed.error().message));
  }
  const ParsedEvent& event = parsed.value();
  if (auto bad = control_character_in(event)) {
    spdlog::warn("webhook {}: bad request: {}", request.delivery, *bad);
    return answered(answer(400, "rejected", *bad));
  }
  const RepoConfig* repo = find_repo(config, event.repository);
  if (repo != nullptr) {
    if (auto refused = check_repo(*now, request, verified, *repo)) return answered(*refused);
  }
  if (event.kind == EventKind::ping)
    return pong(config, request, event, repo != nullptr, std::move(answered));
  if (event.kind != EventKind::push) {
    return ignore(request, event, "event '" + event.event + "' does not start runs (only push does)",
                  std::move(answered));
  }
  accept_push(std::move(now), request, event, std::move(answered));
}

// What is wrong with a signed delivery before its body is read: its id, and a body sent as a
// form rather than as JSON (a webhook's content type is a setting on the forge's side).
std::optional<IntakeAnswer> WebhookIntake::check_framing(const IntakeRequest& request) const {
  const std::string header = headers_of(request.forge).delivery;
  if (request.delivery.empty()) return answer(400, "rejected", "missing " + header + " header");
  if (util::first_control_character(request.delivery) != std::string_view::npos) {
    spdlog::warn("webhook {}: bad request: a control character in its id", request.delivery);
    return answer(400, "rejected", header + " holds a control character (such as U+0000): refused");
  }
  if (util::ascii_lower(request.content_type).rfind("application/x-www-form-urlencoded", 0) == 0) {
    spdlog::warn("webhook {}: bad request: sent as a form", request.delivery);
    return answer(400, "rejected",
                  "the body is form-encoded (Content-Type: application/x-www-form-urlencoded): set the "
                  "webhook's content type to application/json");
  }
  return std::nullopt;
}

// A ping answers 200 either way; for a repository agent.yml does not list, the answer says the
// pushes to come will be ignored, while the person setting up the webhook is looking.
void WebhookIntake::pong(const ReposConfig& config, const IntakeRequest& request, const ParsedEvent& event,
                         bool configured, IntakeAnswered answered) const {
  // A ping without a repository (an organization's hook) claims nothing about agent.yml.
  configured = configured || event.repository.empty();
  std::string reason = configured ? "ping received"
                                  : "pong; but '" + event.repository + "' is not in " + config.file +
                                        "'s repos: pushes will be ignored";
  auto logged = [configured, reason, delivery = request.delivery, repository = event.repository,
                 file = config.file, answered = std::move(answered)](IntakeAnswer recorded) {
    if (recorded.status >= 500) return answered(std::move(recorded));
    if (configured) {
      spdlog::info("webhook {}: ping for '{}': pong", delivery, repository);
    } else {
      spdlog::warn("webhook {}: ping for '{}', which is not in {}'s repos: its pushes will be ignored",
                   delivery, repository, file);
    }
    answered(answer(200, "pong", reason));
  };
  ignore(request, event, std::move(reason), std::move(logged));
}

void WebhookIntake::accept_push(std::shared_ptr<const Settings> now, const IntakeRequest& request,
                                const ParsedEvent& event, IntakeAnswered answered) const {
  const PushEvent& push = event.push;
  const RepoConfig* repo = find_repo(now->config, push.repository_full_name);
  if (repo == nullptr) {
    return ignore(request, event, "repository '" + push.repository_full_name + "' is not configured",
                  std::move(answered));
  }
  const Decision decision = decide(push, repo->branches);
  if (!decision.accepted) return ignore(request, event, decision.reason, std::move(answered));
  DeliveryRecord delivery = delivery_of(request, event);
  delivery.result = "queued";
  delivery.reason = decision.reason;
  NewRun run = run_of(push, *repo);
  // What the answer needs once the delivery is on disk: `now` keeps `repo` alive meanwhile.
  auto queued = [this, now = std::move(now), repo, run, reason = decision.reason, delivery = request.delivery,
                 forge = request.forge, ref = push.ref, sha = push.after,
                 repository = push.repository_full_name,
                 answered = std::move(answered)](util::Result<QueuedDelivery> written) {
    if (!written) {
      spdlog::error("webhook {}: {}", delivery, written.error().message);
      return answered(
          answer(500, "error",
                 std::string("the run could not be recorded; ") + display_name(forge) + " may redeliver"));
    }
    const QueuedDelivery& queued = written.value();
    const auto id = queued.run_id;
    IntakeAnswer out = queued.duplicate
                           ? answer(200, "duplicate", "delivery already queued as run " + std::to_string(id))
                           : answer(202, "queued", reason);
    out.run = id;
    out.url = run_url(now->config, id);
    // After the answer is durable: a report lost to a crash here is one status, never the push.
    // Before the workers are woken, so that the run's "queued" usually precedes its "running".
    if (!queued.duplicate && reporting_ != nullptr) {
      reporting_->run_queued(id, run);
      for (const auto old : queued.superseded) reporting_->run_ended(old, repo->name);
    }
    if (!queued.duplicate && queued_) queued_(queued.cancel_in_progress);
    spdlog::info("webhook {}: push {} {} of {}: {} run {}", delivery, ref, sha, repository, out.result, id);
    answered(std::move(out));
  };
  queue_.queue_delivery_async(std::move(delivery), std::move(run), std::move(queued));
}

void WebhookIntake::ignore(const IntakeRequest& request, const ParsedEvent& event, std::string reason,
                           IntakeAnswered answered) const {
  DeliveryRecord delivery = delivery_of(request, event);
  delivery.result = event.kind == EventKind::ping ? "pong" : "ignored";
  delivery.reason = reason;
  auto recorded = [id = request.delivery, forge = request.forge, ping = event.kind == EventKind::ping,
                   reason = std::move(reason), answered = std::move(answered)](util::Status written) {
    if (!written) {
      spdlog::error("webhook {}: {}", id, written.error().message);
      return answered(answer(
          500, "error",
          std::string("the delivery could not be recorded; ") + display_name(forge) + " may redeliver"));
    }
    if (!ping) spdlog::info("webhook {}: ignored: {}", id, reason);
    answered(answer(202, "ignored", reason));
  };
  queue_.record_delivery_async(std::move(delivery), std::move(recorded));
}

}  // namespace turnout::agent
