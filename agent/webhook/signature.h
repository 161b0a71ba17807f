#pragma once
// GitHub's webhook signature: `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw
// request body keyed with the webhook secret. Checked before anything of the body is read.

#include <string>
#include <string_view>

namespace turnout::agent {

/// The outcome of checking a request's `X-Hub-Signature-256` header.
enum class SignatureCheck {
  ok,               ///< the header is the HMAC of the body under the secret
  missing,          ///< no header, or an empty one
  malformed,        ///< not `sha256=` followed by 64 hex digits
  wrong_algorithm,  ///< another algorithm's prefix, e.g. `sha1=` (X-Hub-Signature's)
  mismatch,         ///< well-formed, but not the body's HMAC: wrong secret or altered body
};

/// `sha256=` + util::hmac_sha256_hex(secret, body): the header value GitHub would send for `body`.
std::string sign(std::string_view secret, std::string_view body);

/// Checks `header` (the value of X-Hub-Signature-256, "" when absent) against `body` under
/// `secret`. The hex may be upper or lower case; the digest is compared in constant time.
SignatureCheck verify_signature(std::string_view secret, std::string_view body, std::string_view header);

/// The reason to give with a 401 for a failed check ("missing X-Hub-Signature-256 header").
const char* describe(SignatureCheck check);

/// Checks `hex` (a header's value without any prefix, surrounding blanks trimmed) as the
/// HMAC-SHA256 of `body` under `secret`: 64 hex digits in either case (else malformed), compared
/// in constant time. GitHub's check after its `sha256=`, and Gitea's whole header.
SignatureCheck verify_hex_digest(std::string_view secret, std::string_view body, std::string_view hex);

/// `text` without the blanks (spaces, tabs) around it.
std::string_view trim_blanks(std::string_view text);

/// True when `header` starts with an algorithm's name and `=` (`sha1=`, `sha256=`).
bool names_an_algorithm(std::string_view header);

/// The check's name for logs: `ok`, `missing`, `malformed`, `wrong_algorithm`, `mismatch`.
const char* to_string(SignatureCheck check);

}  // namespace turnout::agent
