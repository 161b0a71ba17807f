#include "agent/metrics/feed_metrics.h"

#include <sstream>

#include "agent/metrics/metrics.h"

namespace turnout::agent {

namespace {

using steps::deploy::SlotTraffic;
using steps::deploy::Traffic;
using util::LatencyHistogram;

void head(std::ostream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

std::string labels(const SlotTraffic& slot) {
  return "app=\"" + escape_label_value(slot.app) + "\",slot=\"" + steps::deploy::to_string(slot.slot) + "\"";
}

// One series per slot of `field` of its window or its totals.
template <typename Field>
void per_slot(std::ostream& out, const char* name, const char* type, const char* help,
              const std::vector<SlotTraffic>& slots, Field field) {
  head(out, name, type, help);
  for (const auto& slot : slots) out << name << '{' << labels(slot) << "} " << field(slot) << '\n';
}

void latency_histogram(std::ostream& out, const std::vector<SlotTraffic>& slots) {
  const char* name = "turnout_feed_upstream_response_seconds";
  head(out, name, "histogram", "How long each slot took to answer ($upstream_response_time), since start.");
  for (const auto& slot : slots) {
    const LatencyHistogram& latency = slot.total.latency;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < LatencyHistogram::kBounds.size(); ++i) {
      cumulative += latency.buckets()[i];
      out << name << "_bucket{" << labels(slot) << ",le=\"" << LatencyHistogram::kBounds[i] << "\"} "
          << cumulative << '\n';
    }
    out << name << "_bucket{" << labels(slot) << ",le=\"+Inf\"} " << latency.count() << '\n';
    out << name << "_sum{" << labels(slot) << "} " << latency.sum() << '\n';
    out << name << "_count{" << labels(slot) << "} " << latency.count() << '\n';
  }
}

void window_quantiles(std::ostream& out, const std::vector<SlotTraffic>& slots) {
  const char* name = "turnout_feed_window_latency_seconds";
  head(out, name, "summary",
       "Each slot's latency over the sliding window (p50, p95, p99 from its histogram).");
  for (const auto& slot : slots) {
    for (const double q : {0.5, 0.95, 0.99}) {
      const auto value = slot.window.latency.quantile(q);
      out << name << '{' << labels(slot) << ",quantile=\"" << q << "\"} ";
      if (value) {
        out << *value << '\n';
      } else {
        out << "NaN\n";
      }
    }
    out << name << "_sum{" << labels(slot) << "} " << slot.window.latency.sum() << '\n';
    out << name << "_count{" << labels(slot) << "} " << slot.window.latency.count() << '\n';
  }
}

}  // namespace

std::string render_feed_metrics(const FeedSample& sample) {
  std::ostringstream out;
  const auto& slots = sample.slots;
  head(out, "turnout_feed_up", "gauge", "1 while the traffic feed's receiver listens.");
  out << "turnout_feed_up " << (sample.listening ? 1 : 0) << '\n';
  head(out, "turnout_feed_window_seconds", "gauge", "The span of the feed's sliding window.");
  out << "turnout_feed_window_seconds " << std::chrono::duration<double>(sample.window).count() << '\n';
  head(out, "turnout_feed_datagrams_total", "counter",
       "Datagrams received by the feed since start: accepted, malformed, forged, or for too many apps.");
  const auto& counts = sample.counts;
  for (const auto& [result, count] : {std::pair{"accepted", counts.accepted},
                                      {"malformed", counts.malformed},
                                      {"forged", counts.forged},
                                      {"too_many_apps", counts.too_many_apps}})
    out << "turnout_feed_datagrams_total{result=\"" << result << "\"} " << count << '\n';
  head(out, "turnout_feed_dropped_total", "counter",
       "Datagrams the kernel dropped while the feed's receiver was busy (its buffer full).");
  out << "turnout_feed_dropped_total " << counts.dropped << '\n';
  per_slot(out, "turnout_feed_requests_total", "counter", "Requests nginx sent to each slot, since start.",
           slots, [](const SlotTraffic& slot) { return slot.total.requests; });
  per_slot(out, "turnout_feed_responses_5xx_total", "counter",
           "Requests of each slot answered 5xx, since start.", slots,
           [](const SlotTraffic& slot) { return slot.total.errors; });
  latency_histogram(out, slots);
  per_slot(out, "turnout_feed_window_requests", "gauge", "Requests of each slot over the sliding window.",
           slots, [](const SlotTraffic& slot) { return slot.window.requests; });
  per_slot(out, "turnout_feed_window_responses_5xx", "gauge",
           "5xx answers of each slot over the sliding window.", slots,
           [](const SlotTraffic& slot) { return slot.window.errors; });
  window_quantiles(out, slots);
  return out.str();
}

}  // namespace turnout::agent
