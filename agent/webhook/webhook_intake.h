#pragma once
// The webhook's domain step (ARCHITECTURE.md, "Data flow"): verify, parse, decide, persist, answer.
// Transport-free: the HTTP handler reads the headers and the body, calls accept_webhook once,
// and writes the answer it gets back.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/config/agent_config.h"
#include "agent/report/reporting.h"
#include "agent/store/delivery_log.h"
#include "agent/store/run_queue.h"
#include "agent/webhook/github_event.h"
#include "util/reloadable.h"

namespace turnout::agent {

/// A delivery as it arrived: the headers the intake needs and the raw body (delivery_headers.h
/// reads them from a request's headers, per forge).
struct IntakeRequest {
  std::string event;            ///< X-GitHub-Event (X-Gitea-Event, ...), "" when absent
  std::string delivery;         ///< X-GitHub-Delivery (X-Gitea-Delivery, ...), "" when absent
  std::string signature;        ///< X-Hub-Signature-256 (X-Gitea-Signature, GitLab's token), "" when absent
  std::string body;             ///< the raw body, exactly as received
  std::string content_type{};   ///< Content-Type, "" when absent: a form-encoded body is refused
  bool sha1_only = false;       ///< GitHub's SHA-1 X-Hub-Signature came without X-Hub-Signature-256
  Forge forge = Forge::github;  ///< the forge whose headers it came with
};

/// The webhook secrets deliveries are checked with.
struct WebhookSecrets {
  std::optional<std::string> agent;          ///< the agent's: for every repository without its own
  std::map<std::string, std::string> repos;  ///< a repository's own, by its configured name
  /// A repository without any secret (no agent secret, no own one) takes unchecked deliveries
  /// (--insecure-no-signature); otherwise every delivery must pass a check.
  bool insecure = false;

  /// No secret at all: nothing is checked.
  WebhookSecrets() : insecure(true) {}
  /// The agent's secret alone; nullopt: nothing is checked (--insecure-no-signature).
  WebhookSecrets(std::optional<std::string> agent_secret)  // NOLINT: implicit, as the one secret it was
      : agent(std::move(agent_secret)), insecure(!agent) {}
};

/// What to answer: an HTTP status and the fields of its JSON body.
struct IntakeAnswer {
  int status = 200;                 ///< 200, 202, 400, 401, 500
  std::string result;               ///< queued, duplicate, ignored, pong, rejected, error
  std::string reason;               ///< why, for a person; never a secret
  std::optional<std::int64_t> run;  ///< the queued (or duplicate) run
  std::string url;                  ///< public_url + "/runs/" + run, "" without public_url
};

/// Told the answer to a delivery (accept_webhook's asynchronous form).
using IntakeAnswered = std::function<void(IntakeAnswer)>;

/// Accepts webhook deliveries for one agent config into one store.
class WebhookIntake {
 public:
  /// `config` and `secrets` are copied (reload() replaces them). `secrets`: which secret checks
  /// which repository's deliveries (the agent's alone, or nullopt for none: signatures are not
  /// checked, --insecure-no-signature). `queue` and `reporting` (null: nothing is reported)
  /// must outlive this. `queued` is called after each run it
  /// queues (to wake workers), with true when the run's branch is `cancel-in-progress`
  /// (QueuedDelivery::cancel_in_progress). `refusals` (null: not recorded) records every
  /// delivery refused with a 4xx, off the request's path.
  WebhookIntake(const ReposConfig& config, RunQueue& queue, WebhookSecrets secrets,
                std::function<void(bool cancel_in_progress)> queued = {}, Reporting* reporting = nullptr,
                DeliveryLog* refusals = nullptr);

  /// Verifies (as the request's forge documents it), parses and decides on one delivery; an
  /// accepted push is recorded with its queued run before this returns. A delivery for a
  /// repository configured with another forge, or not signed with that repository's secret, is
  /// refused. Never throws; a store failure is a 500 answer.
  IntakeAnswer accept_webhook(const IntakeRequest& request) const;
  /// accept_webhook without waiting for the disk: `answered` is called once with the answer,
  /// at once for a refusal (on this thread), or on the store's committing thread once the
  /// delivery is recorded. Checking and parsing happen on this thread. `answered` must be quick.
  void accept_webhook(const IntakeRequest& request, IntakeAnswered answered) const;

  /// Takes `config`'s repositories and `secrets` for the deliveries that arrive from now on
  /// (SIGHUP); one being checked meanwhile is decided wholly under the old ones.
  void reload(const ReposConfig& config, WebhookSecrets secrets);

 private:
  /// The secrets a delivery's check passed with: a repository's name, or "" for the agent's.
  struct Verified {
    bool checked = true;               ///< false: nothing could check it (insecure)
    std::vector<std::string> matched;  ///< whose secrets it passed
  };

  /// agent.yml's repositories and the secrets read with them, as of the last (re)load.
  struct Settings {
    ReposConfig config;      ///< the repositories
    WebhookSecrets secrets;  ///< repositories' own secrets keyed by their lower-cased name
  };

  void verdict(const IntakeRequest& request, IntakeAnswered answered) const;
  static Settings settings_of(const ReposConfig& config, WebhookSecrets secrets);
  std::optional<IntakeAnswer> verify(const Settings& now, const IntakeRequest& request,
                                     Verified& verified) const;
  std::optional<IntakeAnswer> check_repo(const Settings& now, const IntakeRequest& request,
                                         const Verified& verified, const RepoConfig& repo) const;
  std::optional<IntakeAnswer> check_framing(const IntakeRequest& request) const;
  void pong(const ReposConfig& config, const IntakeRequest& request, const ParsedEvent& event,
            bool configured, IntakeAnswered answered) const;
  void accept_push(std::shared_ptr<const Settings> now, const IntakeRequest& request,
                   const ParsedEvent& event, IntakeAnswered answered) const;
  void ignore(const IntakeRequest& request, const ParsedEvent& event, std::string reason,
              IntakeAnswered answered) const;

  util::Reloadable<Settings> settings_;
  RunQueue& queue_;
  std::function<void(bool cancel_in_progress)> queued_;
  Reporting* reporting_;
  DeliveryLog* refusals_;
};

}  // namespace turnout::agent
