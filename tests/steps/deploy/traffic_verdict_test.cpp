#include "steps/deploy/traffic_verdict.h"

#include <catch2/catch.hpp>

namespace turnout::steps::deploy {
namespace {

pipeline::TrafficCheck check(double rate, int min_requests) {
  pipeline::TrafficCheck made;
  made.max_error_rate = rate;
  made.min_requests = min_requests;
  return made;
}

Traffic totals(std::uint64_t requests, std::uint64_t errors) {
  Traffic traffic;
  traffic.requests = requests;
  traffic.errors = errors;
  return traffic;
}

}  // namespace

TEST_CASE("traffic verdict: a share of 5xx over the maximum, once there are min_requests, is a breach",
          "[unit][deploy]") {
  const auto one_percent = check(0.01, 20);
  CHECK(traffic_breach(one_percent, {40, 3}, Slot::green) ==
        "verify: 7.5% 5xx over 40 requests on green since the switch (max 1%)");
  // Too few requests to judge, however bad.
  CHECK_FALSE(traffic_breach(one_percent, {19, 19}, Slot::green));
  // At the maximum is not over it.
  CHECK_FALSE(traffic_breach(one_percent, {100, 1}, Slot::blue));
  CHECK(traffic_breach(one_percent, {100, 2}, Slot::blue) ==
        "verify: 2.0% 5xx over 100 requests on blue since the switch (max 1%)");
  // 0% allows none.
  CHECK(traffic_breach(check(0.0, 1), {1, 1}, Slot::blue) ==
        "verify: 100.0% 5xx over 1 request on blue since the switch (max 0%)");
}

TEST_CASE("traffic verdict: what verify saw, for the log", "[unit][deploy]") {
  CHECK(traffic_summary(check(0.005, 20), {250, 1}, Slot::green) ==
        "verify: 0.4% 5xx over 250 requests on green since the switch (max 0.5%): passed");
  CHECK(traffic_summary(check(0.01, 20), {3, 0}, Slot::green) ==
        "verify: 3 requests on green since the switch, fewer than min_requests (20): the probes alone "
        "decided");
}

TEST_CASE("traffic verdict: only what came between two readings of the totals counts", "[unit][deploy]") {
  const auto since = traffic_between(totals(100, 30), totals(140, 31));
  CHECK(since.requests == 40);
  CHECK(since.errors == 1);
  // A feed that started again in between (its totals smaller): all it counted is new.
  const auto restarted = traffic_between(totals(100, 30), totals(12, 2));
  CHECK(restarted.requests == 12);
  CHECK(restarted.errors == 2);
  CHECK(percent_text(0.0025) == "0.25%");
  CHECK(percent_text(1.0) == "100%");
}

}  // namespace turnout::steps::deploy
