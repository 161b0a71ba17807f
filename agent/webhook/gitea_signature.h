#pragma once
// Gitea's and Forgejo's webhook signature: `X-Gitea-Signature` (Forgejo: `X-Forgejo-Signature`,
// and the same value in `X-Gitea-Signature`) holds the bare hex HMAC-SHA256 of the raw body
// keyed with the webhook's secret, without GitHub's `sha256=` prefix. Checked before anything of
// the body is read.

#include <string>
#include <string_view>

#include "agent/webhook/signature.h"

namespace turnout::agent {

/// util::hmac_sha256_hex(secret, body): the header value Gitea would send for `body`.
std::string sign_gitea(std::string_view secret, std::string_view body);

/// Checks `header` (the signature header's value, "" when absent) against `body` under `secret`:
/// missing when empty, wrong_algorithm for a `name=` prefix (`sha256=` is GitHub's form, which
/// Gitea never sends in this header), malformed unless 64 hex digits, else compared in constant time.
SignatureCheck verify_gitea_signature(std::string_view secret, std::string_view body,
                                      std::string_view header);

}  // namespace turnout::agent
