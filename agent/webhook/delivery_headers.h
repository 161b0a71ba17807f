#pragma once
// Which forge sent a delivery, told by its headers, and the headers each forge puts its event,
// delivery id and signature (GitLab: its token) in. Gitea sends GitHub's `X-GitHub-*` headers
// too and Forgejo Gitea's as well as its own, so the most specific forge's headers decide:
// GitLab's, then Forgejo's, then Gitea's, then GitHub's.

#include <functional>
#include <string>

#include "agent/config/forge.h"
#include "agent/webhook/signature.h"
#include "agent/webhook/webhook_intake.h"

namespace turnout::agent {

/// A request's header by lower-case name, "" when absent.
using HeaderLookup = std::function<std::string(const std::string& lower_case_name)>;

/// The names of the headers a forge's deliveries carry, for messages.
struct ForgeHeaders {
  const char* event;      ///< `X-GitHub-Event`, `X-Gitea-Event`, ...
  const char* delivery;   ///< `X-GitHub-Delivery`, ..., GitLab's `X-Gitlab-Event-UUID`
  const char* signature;  ///< `X-Hub-Signature-256`, `X-Gitea-Signature`, ..., `X-Gitlab-Token`
};

/// The headers of `forge`'s deliveries.
ForgeHeaders headers_of(Forge forge);

/// The delivery a request with these headers and `body` is: its forge, and that forge's event,
/// delivery id and signature (or token). Forgejo's own headers are read first, Gitea's when they
/// are absent; GitLab's delivery id is X-Gitlab-Event-UUID, else Idempotency-Key.
IntakeRequest read_delivery(const HeaderLookup& header, std::string body);

/// Checks `request`'s signature (GitLab: its token) as its forge documents it, under `secret`.
SignatureCheck verify_delivery(const IntakeRequest& request, std::string_view secret);

/// The reason to give with a 401 for a failed check of a delivery from `forge`; for GitHub
/// describe(check), as before other forges were taken.
std::string describe(Forge forge, SignatureCheck check);

}  // namespace turnout::agent
