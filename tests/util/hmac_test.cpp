#include "util/hmac.h"

#include <catch2/catch.hpp>

#include <string>

using turnout::util::constant_time_equal;
using turnout::util::hmac_sha256_hex;

namespace {

// GitHub's documented example ("Validating webhook deliveries").
const char kSecret[] = "It's a Secret to Everybody";
const char kHex[] = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

}  // namespace

TEST_CASE("hmac_sha256_hex matches RFC 4231, keys longer than a block included", "[unit][util]") {
  // Test case 2: a short key.
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a 131-byte key is hashed first, which needs the right block size (64).
  CHECK(hmac_sha256_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // Empty key and message.
  CHECK(hmac_sha256_hex("", "") == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("hmac_sha256_hex reads bodies with NUL bytes whole", "[unit][util]") {
  const std::string with_nul("a\0b", 3);
  CHECK(hmac_sha256_hex(kSecret, with_nul) != hmac_sha256_hex(kSecret, "a"));
  CHECK(hmac_sha256_hex(kSecret, with_nul).size() == 64);
}

TEST_CASE("constant_time_equal compares whole strings", "[unit][util]") {
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
