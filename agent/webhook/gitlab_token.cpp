#include "agent/webhook/gitlab_token.h"

#include "util/hmac.h"

namespace turnout::agent {

SignatureCheck verify_gitlab_token(std::string_view secret, std::string_view header) {
  if (header.empty()) return SignatureCheck::missing;
  return util::constant_time_equal(header, secret) ? SignatureCheck::ok : SignatureCheck::mismatch;
}

}  // namespace turnout::agent
