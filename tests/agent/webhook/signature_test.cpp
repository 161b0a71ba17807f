#include "agent/webhook/signature.h"

#include <catch2/catch.hpp>

#include <set>
#include <string>

using Catch::Matchers::Contains;
using turnout::agent::constant_time_equal;
using turnout::agent::describe;
using turnout::agent::hmac_sha256_hex;
using turnout::agent::sign;
using turnout::agent::SignatureCheck;
using turnout::agent::verify_signature;

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

TEST_CASE("hmac_sha256_hex matches RFC 4231, keys longer than a block included", "[unit][webhook]") {
  // Test case 2: a short key.
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a 131-byte key is hashed first, which needs the right block size (64).
  CHECK(hmac_sha256_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // Empty key and message.
  CHECK(hmac_sha256_hex("", "") == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("hmac_sha256_hex reads bodies with NUL bytes whole", "[unit][webhook]") {
  const std::string with_nul("a\0b", 3);
  CHECK(hmac_sha256_hex(kSecret, with_nul) != hmac_sha256_hex(kSecret, "a"));
  CHECK(hmac_sha256_hex(kSecret, with_nul).size() == 64);
}

TEST_CASE("constant_time_equal compares whole strings", "[unit][webhook]") {
  CHECK(constant_time_equal("", ""));
  CHECK(constant_time_equal(kHex, kHex));
  CHECK_FALSE(constant_time_equal(kHex, std::string(kHex).replace(0, 1, "8")));
  CHECK_FALSE(constant_time_equal(kHex, std::string(kHex).replace(63, 1, "8")));
  SECTION("a prefix is not equal, whichever side is longer") {
    CHECK_FALSE(constant_time_equal("abc", "abcd"));
    CHECK_FALSE(constant_time_equal("abcd", "abc"));
    CHECK_FALSE(constant_time_equal("", "a"));
    CHECK_FALSE(constant_time_equal("a", ""));
  }
  SECTION("a longer string padded with NULs is not equal") {
    CHECK_FALSE(constant_time_equal("ab", std::string("ab\0", 3)));
  }
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
