#include "agent/metrics/metrics.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

using turnout::agent::Metrics;
using turnout::agent::StoreStats;

TEST_CASE("metrics: the exposition has every series with HELP and TYPE", "[unit][metrics]") {
  Metrics metrics;
  metrics.observe_run(0.5);
  metrics.observe_run(42);
  metrics.observe_run(7200);
  metrics.count_rejected(401);
  StoreStats stats;
  stats.deliveries_by_result = {{"ignored", 3}, {"queued", 5}};
  stats.runs_by_status = {{"queued", 2}, {"succeeded", 4}};
  stats.queue_depth = 2;
  const auto text = metrics.render(stats);
  for (const auto* line :
       {"# TYPE turnout_webhook_deliveries_total counter\n",
        "turnout_webhook_deliveries_total{result=\"ignored\"} 3\n",
        "turnout_webhook_deliveries_total{result=\"queued\"} 5\n", "# TYPE turnout_runs gauge\n",
        "turnout_runs{status=\"succeeded\"} 4\n", "turnout_queue_depth 2\n",
        "turnout_webhook_rejected_total{code=\"401\"} 1\n", "# TYPE turnout_run_duration_seconds histogram\n",
        // Buckets are cumulative: 0.5 s is in le=1 and every bucket after it.
        "turnout_run_duration_seconds_bucket{le=\"1\"} 1\n",
        "turnout_run_duration_seconds_bucket{le=\"30\"} 1\n",
        "turnout_run_duration_seconds_bucket{le=\"60\"} 2\n",
        "turnout_run_duration_seconds_bucket{le=\"3600\"} 2\n",
        "turnout_run_duration_seconds_bucket{le=\"+Inf\"} 3\n", "turnout_run_duration_seconds_sum 7242.5\n",
        "turnout_run_duration_seconds_count 3\n"}) {
    INFO(line);
    CHECK_THAT(text, Catch::Contains(line));
  }
  CHECK_THAT(text, Catch::StartsWith("# HELP turnout_build_info"));
}

TEST_CASE("metrics: label values are escaped", "[unit][metrics]") {
  StoreStats stats;
  stats.deliveries_by_result = {{"a\"b\\c\nd", 1}};
  CHECK_THAT(Metrics().render(stats),
             Catch::Contains("turnout_webhook_deliveries_total{result=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

TEST_CASE("metrics: every rejection code the README lists has a series from the start", "[unit][metrics]") {
  const auto text = Metrics().render(StoreStats());
  std::ifstream readme(std::string(TURNOUT_SOURCE_DIR) + "/README.md");
  std::string row;
  while (std::getline(readme, row) && row.rfind("| `turnout_webhook_rejected_total` |", 0) != 0) {
  }
  // The route's refusals (400, 401, 413, 500) and the transport's on /webhook (400, 408 a body
  // too slow, 413, 431 headers too large, 503 a full queue).
  for (const std::string code : {"400", "401", "408", "413", "431", "500", "503"}) {
    INFO(code);
    CHECK_THAT(row, Catch::Contains("`" + code + "`"));
    CHECK_THAT(text, Catch::Contains("turnout_webhook_rejected_total{code=\"" + code + "\"} 0\n"));
  }
}

TEST_CASE("metrics: each app's slots are live, alive and healthy gauges", "[unit][metrics]") {
  const std::vector<turnout::agent::SlotSample> slots{{"web", "blue", true, true, false},
                                                      {"web", "green", false, false, false}};
  const auto text = Metrics().render(StoreStats(), slots);
  for (const auto* line :
       {"# TYPE turnout_slot_live gauge\n", "turnout_slot_live{app=\"web\",slot=\"blue\"} 1\n",
        "turnout_slot_live{app=\"web\",slot=\"green\"} 0\n", "# TYPE turnout_slot_alive gauge\n",
        "turnout_slot_alive{app=\"web\",slot=\"blue\"} 1\n",
        "turnout_slot_alive{app=\"web\",slot=\"green\"} 0\n", "# TYPE turnout_slot_healthy gauge\n",
        "turnout_slot_healthy{app=\"web\",slot=\"blue\"} 0\n",
        "turnout_slot_healthy{app=\"web\",slot=\"green\"} 0\n"}) {
    INFO(line);
    CHECK_THAT(text, Catch::Contains(line));
  }
}

TEST_CASE("metrics: a running slot's CPU and memory are series, a slot that does not run has none",
          "[unit][metrics]") {
  std::vector<turnout::agent::SlotSample> slots{{"web", "blue", true, true, true},
                                                {"web", "green", false, false, false}};
  slots[0].usage = turnout::util::ProcessStats{1.5, 0.25, 8 * 1024 * 1024};
  const auto text = Metrics().render(StoreStats(), slots);
  for (const auto* line : {"# TYPE turnout_slot_cpu_seconds_total counter\n",
                           // Its waited-for children's CPU time is the slot's too.
                           "turnout_slot_cpu_seconds_total{app=\"web\",slot=\"blue\"} 1.75\n",
                           "# TYPE turnout_slot_resident_memory_bytes gauge\n",
                           "turnout_slot_resident_memory_bytes{app=\"web\",slot=\"blue\"} 8388608\n"}) {
    INFO(line);
    CHECK_THAT(text, Catch::Contains(line));
  }
  CHECK_THAT(text, !Catch::Contains("turnout_slot_cpu_seconds_total{app=\"web\",slot=\"green\"}"));
  CHECK_THAT(text, !Catch::Contains("turnout_slot_resident_memory_bytes{app=\"web\",slot=\"green\"}"));
}
