#include "agent/webhook/gitea_signature.h"

#include "util/hmac.h"

namespace turnout::agent {

std::string sign_gitea(std::string_view secret, std::string_view body) {
  return util::hmac_sha256_hex(secret, body);
}

SignatureCheck verify_gitea_signature(std::string_view secret, std::string_view body,
                                      std::string_view header) {
  header = trim_blanks(header);
  if (header.empty()) return SignatureCheck::missing;
  if (names_an_algorithm(header)) return SignatureCheck::wrong_algorithm;
  return verify_hex_digest(secret, body, header);
}

}  // namespace turnout::agent
