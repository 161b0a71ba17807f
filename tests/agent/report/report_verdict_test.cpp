#include "agent/report/report_verdict.h"

#include <catch2/catch.hpp>

using namespace turnout::agent;
using namespace std::chrono_literals;

namespace {

HttpReply reply(int status, std::map<std::string, std::string> headers = {}, std::string body = "") {
  return HttpReply{status, std::move(headers), std::move(body)};
}

const BackoffPolicy kPolicy{1000ms, 60000ms, 3600000ms, 5};
constexpr std::int64_t kNow = 1700000000;

}  // namespace

TEST_CASE("report: 2xx is sent", "[unit][report]") {
  CHECK(judge(reply(201), 0, kPolicy, kNow, 0.5).action == Verdict::Action::sent);
  CHECK(judge(reply(200), 3, kPolicy, kNow, 0.5).action == Verdict::Action::sent);
}

TEST_CASE("report: 5xx and network failures back off exponentially, with jitter, then give up",
          "[unit][report]") {
  const auto first = judge(reply(502), 0, kPolicy, kNow, 0.0);
  CHECK(first.action == Verdict::Action::retry);
  CHECK(first.counts);
  CHECK(first.wait == 500ms);  // base * (0.5 + 0/2)
  CHECK(judge(reply(503), 0, kPolicy, kNow, 1.0).wait == 1000ms);
  CHECK(judge(reply(500), 2, kPolicy, kNow, 1.0).wait == 4000ms);
  CHECK(backoff_delay(kPolicy, 30, 1.0) == 60000ms);  // capped
  const auto refused = judge(turnout::util::Result<HttpReply>(turnout::util::fail("connection refused")), 1,
                             kPolicy, kNow, 1.0);
  CHECK(refused.action == Verdict::Action::retry);
  CHECK(refused.wait == 2000ms);
  const auto last = judge(reply(500), 4, kPolicy, kNow, 0.5);
  CHECK(last.action == Verdict::Action::drop);
  CHECK_THAT(last.why, Catch::StartsWith("gave up after 5 attempts"));
  CHECK(judge(reply(503, {{"retry-after", "30"}}), 0, kPolicy, kNow, 0.0).wait == 30000ms);
}

TEST_CASE("report: a rate limit waits until it resets and is no failed attempt", "[unit][report]") {
  const auto primary =
      judge(reply(403, {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", std::to_string(kNow + 42)}}), 0,
            kPolicy, kNow, 0.5);
  CHECK(primary.action == Verdict::Action::retry);
  CHECK(primary.rate_limited);
  CHECK_FALSE(primary.counts);
  CHECK(primary.wait == 43s);
  const auto after = judge(reply(429, {{"retry-after", "7"}}), 0, kPolicy, kNow, 0.5);
  CHECK(after.rate_limited);
  CHECK(after.wait == 7s);
  const auto secondary = judge(reply(403, {}, R"({"message":"You have exceeded a secondary rate limit"})"), 0,
                               kPolicy, kNow, 0.5);
  CHECK(secondary.rate_limited);
  CHECK(secondary.wait == 60s);
  const auto huge = judge(reply(429, {{"retry-after", "999999"}}), 0, kPolicy, kNow, 0.5);
  CHECK(huge.wait == kPolicy.max_rate_wait);
  // The last attempt is no reason to give up on a rate limit.
  CHECK(judge(reply(429, {{"retry-after", "1"}}), 10, kPolicy, kNow, 0.5).action == Verdict::Action::retry);
}

TEST_CASE("report: 401, 403, 404 and 422 are dropped, 401 is told apart", "[unit][report]") {
  const auto unauthorized = judge(reply(401, {}, R"({"message":"Bad credentials"})"), 0, kPolicy, kNow, 0.5);
  CHECK(unauthorized.action == Verdict::Action::drop);
  CHECK(unauthorized.unauthorized);
  const auto forbidden =
      judge(reply(403, {}, R"({"message":"Resource not accessible"})"), 0, kPolicy, kNow, 0.5);
  CHECK(forbidden.action == Verdict::Action::drop);
  CHECK_FALSE(forbidden.unauthorized);
  CHECK_THAT(forbidden.why, Catch::Contains("repo:status"));
  CHECK(judge(reply(404), 0, kPolicy, kNow, 0.5).action == Verdict::Action::drop);
  const auto invalid = judge(reply(422, {}, R"({"message":"Validation Failed"})"), 0, kPolicy, kNow, 0.5);
  CHECK(invalid.action == Verdict::Action::drop);
  CHECK_THAT(invalid.why, Catch::Contains("Validation Failed"));
}
