#include "agent/webhook/signature.h"

#include <algorithm>
#include <cstddef>

#include "util/hmac.h"

namespace turnout::agent {

namespace {

const std::string_view kPrefix = "sha256=";
constexpr std::size_t kHexDigits = 64;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_hex(char c) { return (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'f'); }

bool has_prefix(std::string_view header) {
  if (header.size() < kPrefix.size()) return false;
  for (std::size_t i = 0; i < kPrefix.size(); ++i) {
    if (lower(header[i]) != kPrefix[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view trim_blanks(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

// `sha1=...`, `sha512=...`: a name of letters and digits before the `=`.
bool names_an_algorithm(std::string_view header) {
  const auto equals = header.find('=');
  if (equals == 0 || equals == std::string_view::npos) return false;
  const auto name = header.substr(0, equals);
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'z') || c == '-';
  });
}

SignatureCheck verify_hex_digest(std::string_view secret, std::string_view body, std::string_view hex) {
  if (hex.size() != kHexDigits || !std::all_of(hex.begin(), hex.end(), is_hex))
    return SignatureCheck::malformed;
  std::string given(hex);
  std::transform(given.begin(), given.end(), given.begin(), lower);
  const bool same = util::constant_time_equal(given, util::hmac_sha256_hex(secret, body));
  return same ? SignatureCheck::ok : SignatureCheck::mismatch;
}

std::string sign(std::string_view secret, std::string_view body) {
  return std::string(kPrefix) + util::hmac_sha256_hex(secret, body);
}

SignatureCheck verify_signature(std::string_view secret, std::string_view body, std::string_view header) {
  header = trim_blanks(header);
  if (header.empty()) return SignatureCheck::missing;
  if (!has_prefix(header)) {
    return names_an_algorithm(header) ? SignatureCheck::wrong_algorithm : SignatureCheck::malformed;
  }
  return verify_hex_digest(secret, body, header.substr(kPrefix.size()));
}

const char* describe(SignatureCheck check) {
  switch (check) {
    case SignatureCheck::ok:
      return "signature matches the body";
    case SignatureCheck::missing:
      return "missing X-Hub-Signature-256 header";
    case SignatureCheck::malformed:
      return "X-Hub-Signature-256 must be sha256=<hex> (64 hex digits)";
    case SignatureCheck::wrong_algorithm:
      return "X-Hub-Signature-256 must be sha256=<hex>: other algorithms (sha1) are not accepted";
    case SignatureCheck::mismatch:
      return "signature does not match the body: check the webhook secret";
  }
  return "unknown signature check";
}

const char* to_string(SignatureCheck check) {
  switch (check) {
    case SignatureCheck::ok:
      return "ok";
    case SignatureCheck::missing:
      return "missing";
    case SignatureCheck::malformed:
      return "malformed";
    case SignatureCheck::wrong_algorithm:
      return "wrong_algorithm";
    case SignatureCheck::mismatch:
      return "mismatch";
  }
  return "unknown";
}

}  // namespace turnout::agent
