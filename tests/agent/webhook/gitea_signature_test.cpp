#include "agent/webhook/gitea_signature.h"

#include <catch2/catch.hpp>

#include <string>

#include "agent/webhook/delivery_headers.h"

using turnout::agent::describe;
using turnout::agent::Forge;
using turnout::agent::sign;
using turnout::agent::sign_gitea;
using turnout::agent::SignatureCheck;
using turnout::agent::verify_gitea_signature;

namespace {

// GitHub's documented example: Gitea's HMAC is the same, only its header has no prefix.
const char kSecret[] = "It's a Secret to Everybody";
const char kBody[] = "Hello, World!";
const char kHex[] = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

}  // namespace

TEST_CASE("Gitea's signature is the bare hex HMAC-SHA256 of the body", "[unit][webhook][gitea]") {
  CHECK(sign_gitea(kSecret, kBody) == kHex);
  CHECK(verify_gitea_signature(kSecret, kBody, kHex) == SignatureCheck::ok);
  CHECK(verify_gitea_signature(kSecret, kBody, std::string(" ") + kHex + "\t") == SignatureCheck::ok);
}

TEST_CASE("a Gitea signature that is not the body's is refused", "[unit][webhook][gitea]") {
  CHECK(verify_gitea_signature(kSecret, kBody, "") == SignatureCheck::missing);
  CHECK(verify_gitea_signature("another secret", kBody, kHex) == SignatureCheck::mismatch);
  CHECK(verify_gitea_signature(kSecret, "Hello, World?", kHex) == SignatureCheck::mismatch);
  CHECK(verify_gitea_signature(kSecret, kBody, std::string(kHex).substr(1)) == SignatureCheck::malformed);
  CHECK(verify_gitea_signature(kSecret, kBody, std::string(63, 'a') + "g") == SignatureCheck::malformed);
}

TEST_CASE("a Gitea signature with GitHub's sha256= prefix is refused, naming the form",
          "[unit][webhook][gitea]") {
  // The right digest, in GitHub's header format: Gitea never sends that in X-Gitea-Signature.
  CHECK(verify_gitea_signature(kSecret, kBody, sign(kSecret, kBody)) == SignatureCheck::wrong_algorithm);
  CHECK(describe(Forge::gitea, SignatureCheck::wrong_algorithm) ==
        "X-Gitea-Signature must be the bare hex HMAC-SHA256 of the body, without a prefix such as sha256= "
        "(that "
        "is GitHub's X-Hub-Signature-256)");
  CHECK(describe(Forge::gitea, SignatureCheck::missing) == "missing X-Gitea-Signature header");
  CHECK(describe(Forge::forgejo, SignatureCheck::missing) ==
        "missing X-Forgejo-Signature (or X-Gitea-Signature) header");
}
