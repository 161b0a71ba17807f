#include "agent/webhook/signature.h"

#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "util/hmac.h"

using Catch::Matchers::Contains;
using turnout::agent::describe;
using turnout::agent::sign;
using turnout::agent::SignatureCheck;
using turnout::agent::verify_signature;
using turnout::util::hmac_sha256_hex;

namespace {

// GitHub's documented example ("Validating webhook deliveries").
const char kSecret[] = "It's a Secret to Everybody";
const char kBody[] = "Hello, World!";
const char kHex[] = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
const std::string kHeader = std::string("sha256=") + kHex;

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return text;
}

}  // namespace

TEST_CASE("hmac_sha256_hex gives GitHub's documented signature", "[unit][webhook]") {
  CHECK(hmac_sha256_hex(kSecret, kBody) == kHex);
  CHECK(sign(kSecret, kBody) == kHeader);
}

TEST_CASE("verify_signature accepts GitHub's header for the body", "[unit][webhook]") {
  CHECK(verify_signature(kSecret, kBody, kHeader) == SignatureCheck::ok);
  CHECK(verify_signature(kSecret, kBody, sign(kSecret, kBody)) == SignatureCheck::ok);
  SECTION("upper-case hex") {
    CHECK(verify_signature(kSecret, kBody, "sha256=" + upper(kHex)) == SignatureCheck::ok);
  }
  SECTION("surrounding blanks of the header value") {
    CHECK(verify_signature(kSecret, kBody, " " + kHeader + "\t") == SignatureCheck::ok);
  }
}

TEST_CASE("verify_signature reports a missing header", "[unit][webhook]") {
  CHECK(verify_signature(kSecret, kBody, "") == SignatureCheck::missing);
  CHECK(verify_signature(kSecret, kBody, "  ") == SignatureCheck::missing);
}

TEST_CASE("verify_signature reports another algorithm", "[unit][webhook]") {
  // X-Hub-Signature's SHA-1 form, sent to the wrong header.
  CHECK(verify_signature(kSecret, kBody, "sha1=7d38cdd689735b008b3c702edd92eea23791c5f6") ==
        SignatureCheck::wrong_algorithm);
  CHECK(verify_signature(kSecret, kBody, std::string("sha512=") + kHex) == SignatureCheck::wrong_algorithm);
}

TEST_CASE("verify_signature reports a malformed header", "[unit][webhook]") {
  const std::string hex = kHex;
  CHECK(verify_signature(kSecret, kBody, hex) == SignatureCheck::malformed);
  CHECK(verify_signature(kSecret, kBody, "sha256=") == SignatureCheck::malformed);
  CHECK(verify_signature(kSecret, kBody, "sha256=" + hex.substr(1)) == SignatureCheck::malformed);
  CHECK(verify_signature(kSecret, kBody, "sha256=" + hex + "0") == SignatureCheck::malformed);
  CHECK(verify_signature(kSecret, kBody, "sha256=" + hex.substr(1) + "g") == SignatureCheck::malformed);
  CHECK(verify_signature(kSecret, kBody, "sha256 " + hex) == SignatureCheck::malformed);
  CHECK(verify_signature(kSecret, kBody, "=" + hex) == SignatureCheck::malformed);
}

TEST_CASE("verify_signature reports a signature of another secret or body", "[unit][webhook]") {
  CHECK(verify_signature("another secret", kBody, kHeader) == SignatureCheck::mismatch);
  CHECK(verify_signature(kSecret, "Hello, World?", kHeader) == SignatureCheck::mismatch);
  CHECK(verify_signature(kSecret, std::string(kBody) + "\n", kHeader) == SignatureCheck::mismatch);
}

TEST_CASE("describe gives each failed check its own reason for the 401", "[unit][webhook]") {
  CHECK(std::string(describe(SignatureCheck::missing)) == "missing X-Hub-Signature-256 header");
  CHECK_THAT(describe(SignatureCheck::malformed), Contains("X-Hub-Signature-256 must be sha256=<hex>"));
  CHECK_THAT(describe(SignatureCheck::wrong_algorithm), Contains("X-Hub-Signature-256 must be sha256=<hex>"));
  CHECK_THAT(describe(SignatureCheck::wrong_algorithm), Contains("sha1"));
  CHECK(std::string(describe(SignatureCheck::mismatch)) ==
        "signature does not match the body: check the webhook secret");
  const std::set<std::string> reasons = {
      describe(SignatureCheck::ok), describe(SignatureCheck::missing), describe(SignatureCheck::malformed),
      describe(SignatureCheck::wrong_algorithm), describe(SignatureCheck::mismatch)};
  CHECK(reasons.size() == 5);
  CHECK(std::string(to_string(SignatureCheck::wrong_algorithm)) == "wrong_algorithm");
}
