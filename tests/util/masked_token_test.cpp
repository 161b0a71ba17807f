#include "util/masked_token.h"

#include <catch2/catch.hpp>

using namespace turnout::util;

TEST_CASE("masked token: unmasks to the token, and two pads share no digit-for-digit copy of it",
          "[unit][util]") {
  const std::string token = "0123456789abcdef0123456789abcdef";
  const std::string pad1 = "fedcba9876543210fedcba9876543210";
  const std::string pad2 = "13579bdf02468ace13579bdf02468ace";
  const auto one = mask_token(token, pad1);
  const auto two = mask_token(token, pad2);
  CHECK(one.size() == 2 * token.size());
  CHECK(one != two);
  CHECK(one.find(token) == std::string::npos);
  CHECK(unmask_token(one) == token);
  CHECK(unmask_token(two) == token);
  // A zero pad leaves the token as it is: the masking is the pad's, nothing else.
  CHECK(mask_token("a1", "00") == "00a1");
}

TEST_CASE("masked token: what is not its shape is refused", "[unit][util]") {
  CHECK_FALSE(unmask_token(""));
  CHECK_FALSE(unmask_token("abc"));
  CHECK_FALSE(unmask_token("0G12"));
  CHECK_FALSE(unmask_token("AB12"));
  CHECK(unmask_token("0000") == "00");
}
