#include "agent/webhook/gitlab_token.h"

#include <catch2/catch.hpp>

#include <string>

#include "agent/webhook/delivery_headers.h"

using Catch::Matchers::Contains;
using turnout::agent::describe;
using turnout::agent::Forge;
using turnout::agent::SignatureCheck;
using turnout::agent::verify_gitlab_token;

namespace {

const std::string kToken = "glwt-a-secret-token";

}  // namespace

TEST_CASE("GitLab's token is the secret itself", "[unit][webhook][gitlab]") {
  CHECK(verify_gitlab_token(kToken, kToken) == SignatureCheck::ok);
  CHECK(verify_gitlab_token(kToken, "") == SignatureCheck::missing);
  CHECK(verify_gitlab_token(kToken, "glwt-a-secret-tokeN") == SignatureCheck::mismatch);
}

TEST_CASE("a GitLab token of another length is a mismatch, not a prefix match", "[unit][webhook][gitlab]") {
  CHECK(verify_gitlab_token(kToken, kToken.substr(0, kToken.size() - 1)) == SignatureCheck::mismatch);
  CHECK(verify_gitlab_token(kToken, kToken + "x") == SignatureCheck::mismatch);
  CHECK(verify_gitlab_token(kToken, std::string(1, '\0')) == SignatureCheck::mismatch);
}

TEST_CASE("a refused GitLab token's reason never quotes a token", "[unit][webhook][gitlab]") {
  for (const auto check : {SignatureCheck::missing, SignatureCheck::mismatch}) {
    const auto reason = describe(Forge::gitlab, check);
    CHECK_THAT(reason, Contains("X-Gitlab-Token"));
    CHECK_THAT(reason, !Contains(kToken));
  }
}
