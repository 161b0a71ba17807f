#pragma once
// The webhook's domain step (ARCHITECTURE.md, "Data flow"): verify, parse, decide, persist, answer.
// Transport-free: the HTTP handler reads the headers and the body, calls accept_webhook once,
// and writes the answer it gets back.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "agent/config/agent_config.h"
#include "agent/report/reporting.h"
#include "agent/store/run_queue.h"
#include "agent/webhook/github_event.h"

namespace turnout::agent {

/// A delivery as it arrived: the headers the intake needs and the raw body.
struct IntakeRequest {
  std::string event;      ///< X-GitHub-Event, "" when absent
  std::string delivery;   ///< X-GitHub-Delivery, "" when absent
  std::string signature;  ///< X-Hub-Signature-256, "" when absent
  std::string body;       ///< the raw body, exactly as received
};

/// What to answer: an HTTP status and the fields of its JSON body.
struct IntakeAnswer {
  int status = 200;                 ///< 200, 202, 400, 401, 500
  std::string result;               ///< queued, duplicate, ignored, pong, rejected, error
  std::string reason;               ///< why, for a person; never a secret
  std::optional<std::int64_t> run;  ///< the queued (or duplicate) run
  std::string url;                  ///< public_url + "/runs/" + run, "" without public_url
};

/// Accepts webhook deliveries for one agent config into one store.
class WebhookIntake {
 public:
  /// `secret` nullopt: signatures are not checked (--insecure-no-signature). `config`, `queue`
  /// and `reporting` (null: nothing is reported) must outlive this. `queued` is called after each run it
  /// queues (to wake workers), with true when the run's branch is `cancel-in-progress`
  /// (QueuedDelivery::cancel_in_progress).
  WebhookIntake(const ReposConfig& config, RunQueue& queue, std::optional<std::string> secret,
                std::function<void(bool cancel_in_progress)> queued = {}, Reporting* reporting = nullptr);

  /// Verifies, parses and decides on one delivery; an accepted push is recorded with its
  /// queued run before this returns. Never throws; a store failure is a 500 answer.
  IntakeAnswer accept_webhook(const IntakeRequest& request) const;

 private:
  IntakeAnswer accept_push(const IntakeRequest& request, const ParsedEvent& event) const;
  IntakeAnswer ignore(const IntakeRequest& request, const ParsedEvent& event,
                      const std::string& reason) const;

  const ReposConfig& config_;
  RunQueue& queue_;
  std::optional<std::string> secret_;
  std::function<void(bool cancel_in_progress)> queued_;
  Reporting* reporting_;
};

}  // namespace turnout::agent
