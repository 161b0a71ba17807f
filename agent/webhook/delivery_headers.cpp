#include "agent/webhook/delivery_headers.h"

#include "agent/webhook/gitea_signature.h"
#include "agent/webhook/gitlab_token.h"

namespace turnout::agent {

namespace {

// The first of `names` that the request has, "" when it has none.
std::string first_of(const HeaderLookup& header, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (auto value = header(name); !value.empty()) return value;
  }
  return "";
}

Forge forge_of(const HeaderLookup& header) {
  if (!first_of(header, {"x-gitlab-event", "x-gitlab-token"}).empty()) return Forge::gitlab;
  if (!first_of(header, {"x-forgejo-event", "x-forgejo-delivery", "x-forgejo-signature"}).empty())
    return Forge::forgejo;
  if (!first_of(header, {"x-gitea-event", "x-gitea-delivery", "x-gitea-signature"}).empty())
    return Forge::gitea;
  return Forge::github;
}

}  // namespace

ForgeHeaders headers_of(Forge forge) {
  switch (forge) {
    case Forge::github:
      return {"X-GitHub-Event", "X-GitHub-Delivery", "X-Hub-Signature-256"};
    case Forge::gitea:
      return {"X-Gitea-Event", "X-Gitea-Delivery", "X-Gitea-Signature"};
    case Forge::forgejo:
      return {"X-Forgejo-Event (or X-Gitea-Event)", "X-Forgejo-Delivery (or X-Gitea-Delivery)",
              "X-Forgejo-Signature (or X-Gitea-Signature)"};
    case Forge::gitlab:
      return {"X-Gitlab-Event", "X-Gitlab-Event-UUID (or Idempotency-Key)", "X-Gitlab-Token"};
  }
  return {"", "", ""};
}

IntakeRequest read_delivery(const HeaderLookup& header, std::string body) {
  IntakeRequest request;
  request.forge = forge_of(header);
  switch (request.forge) {
    case Forge::github:
      request.event = header("x-github-event");
      request.delivery = header("x-github-delivery");
      request.signature = header("x-hub-signature-256");
      request.sha1_only = request.signature.empty() && !header("x-hub-signature").empty();
      break;
    case Forge::gitea:
      request.event = header("x-gitea-event");
      request.delivery = header("x-gitea-delivery");
      request.signature = header("x-gitea-signature");
      break;
    case Forge::forgejo:
      request.event = first_of(header, {"x-forgejo-event", "x-gitea-event"});
      request.delivery = first_of(header, {"x-forgejo-delivery", "x-gitea-delivery"});
      // Forgejo puts the same value in both; when its own is there, only its own counts.
      request.signature = first_of(header, {"x-forgejo-signature", "x-gitea-signature"});
      break;
    case Forge::gitlab:
      request.event = header("x-gitlab-event");
      request.delivery = first_of(header, {"x-gitlab-event-uuid", "idempotency-key"});
      request.signature = header("x-gitlab-token");
      break;
  }
  request.content_type = header("content-type");
  request.body = std::move(body);
  return request;
}

SignatureCheck verify_delivery(const IntakeRequest& request, std::string_view secret) {
  switch (request.forge) {
    case Forge::github:
      return verify_signature(secret, request.body, request.signature);
    case Forge::gitea:
    case Forge::forgejo:
      return verify_gitea_signature(secret, request.body, request.signature);
    case Forge::gitlab:
      return verify_gitlab_token(secret, request.signature);
  }
  return SignatureCheck::mismatch;
}

std::string describe(Forge forge, SignatureCheck check) {
  if (forge == Forge::github) return describe(check);
  const std::string header = headers_of(forge).signature;
  switch (check) {
    case SignatureCheck::ok:
      return forge == Forge::gitlab ? "token matches the secret" : "signature matches the body";
    case SignatureCheck::missing:
      return "missing " + header + " header";
    case SignatureCheck::malformed:
      return header + " must be the HMAC-SHA256 of the body as 64 hex digits";
    case SignatureCheck::wrong_algorithm:
      return header + " must be the bare hex HMAC-SHA256 of the body, without a prefix such as sha256= " +
             "(that is GitHub's X-Hub-Signature-256)";
    case SignatureCheck::mismatch:
      return forge == Forge::gitlab
                 ? "X-Gitlab-Token does not match the secret: check the webhook's secret token"
                 : "signature does not match the body: check the webhook secret";
  }
  return "unknown signature check";
}

}  // namespace turnout::agent
