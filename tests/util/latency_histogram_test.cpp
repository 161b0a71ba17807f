#include "util/latency_histogram.h"

#include <catch2/catch.hpp>

using turnout::util::LatencyHistogram;

TEST_CASE("latency histogram: a bucket holds what is above the previous bound, up to its own",
          "[unit][util]") {
  LatencyHistogram histogram;
  CHECK_FALSE(histogram.quantile(0.5));
  histogram.add(0.0);    // nginx's "0.000"
  histogram.add(0.001);  // at a bound: that bucket
  histogram.add(0.0011);
  histogram.add(-1);   // counted as 0
  histogram.add(120);  // above the top bound
  CHECK(histogram.count() == 5);
  CHECK(histogram.buckets()[0] == 3);
  CHECK(histogram.buckets()[1] == 1);
  CHECK(histogram.buckets().back() == 1);
  CHECK(histogram.sum() == Approx(120.0021));
}

TEST_CASE("latency histogram: quantiles interpolate inside their bucket", "[unit][util]") {
  LatencyHistogram histogram;
  // 100 durations: 90 in (0.01, 0.015], 10 in (0.2, 0.3].
  for (int i = 0; i < 90; ++i) histogram.add(0.012);
  for (int i = 0; i < 10; ++i) histogram.add(0.25);
  CHECK(*histogram.quantile(0.5) == Approx(0.01 + 0.005 * 50.0 / 90.0));
  CHECK(*histogram.quantile(0.9) == Approx(0.015));
  CHECK(*histogram.quantile(0.95) == Approx(0.2 + 0.1 * 5.0 / 10.0));
  CHECK(*histogram.quantile(0.99) == Approx(0.2 + 0.1 * 9.0 / 10.0));
  CHECK(*histogram.quantile(1.0) == Approx(0.3));
  LatencyHistogram slow;
  slow.add(100);
  CHECK(*slow.quantile(0.5) == Approx(60));  // above the top bound: the top bound
}

TEST_CASE("latency histogram: += adds counts bucket by bucket", "[unit][util]") {
  LatencyHistogram a;
  LatencyHistogram b;
  a.add(0.004);
  b.add(0.004);
  b.add(2.5);
  a += b;
  CHECK(a.count() == 3);
  CHECK(a.buckets()[3] == 2);  // (0.003, 0.005]
  CHECK(a.sum() == Approx(2.508));
}
