#include "agent/metrics/metrics.h"

#include <sstream>

#include "util/process_stats.h"

namespace turnout::agent {

// Label values may hold any text; the format escapes backslash, quote and newline.
std::string escape_label_value(const std::string& value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return out;
}

namespace {

void head(std::ostream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

void labelled(std::ostream& out, const char* name, const char* label,
              const std::vector<std::pair<std::string, std::int64_t>>& values) {
  for (const auto& [value, count] : values)
    out << name << '{' << label << "=\"" << escape_label_value(value) << "\"} " << count << '\n';
}

// One 0/1 gauge per app and slot.
void slot_gauge(std::ostream& out, const char* name, const char* help, const std::vector<SlotSample>& slots,
                bool SlotSample::*field) {
  head(out, name, "gauge", help);
  for (const auto& slot : slots) {
    out << name << "{app=\"" << escape_label_value(slot.app) << "\",slot=\"" << escape_label_value(slot.slot)
        << "\"} " << (slot.*field ? 1 : 0) << '\n';
  }
}

// The CPU and memory of each slot whose processes turnout knows; a slot that does not run has no
// series (a gauge of 0 would read as a slot that uses nothing).
void slot_usage(std::ostream& out, const std::vector<SlotSample>& slots) {
  const auto series = [&](const char* name, const SlotSample& slot) -> std::ostream& {
    return out << name << "{app=\"" << escape_label_value(slot.app) << "\",slot=\""
               << escape_label_value(slot.slot) << "\"} ";
  };
  head(out, "turnout_slot_cpu_seconds_total", "counter",
       "CPU time of the slot's processes (its session), their waited-for children included.");
  for (const auto& slot : slots) {
    if (slot.usage)
      series("turnout_slot_cpu_seconds_total", slot)
          << slot.usage->cpu_seconds + slot.usage->waited_cpu_seconds << '\n';
  }
  head(out, "turnout_slot_resident_memory_bytes", "gauge",
       "Resident memory of the slot's processes (its session), summed.");
  for (const auto& slot : slots) {
    if (slot.usage) series("turnout_slot_resident_memory_bytes", slot) << slot.usage->resident_bytes << '\n';
  }
}

}  // namespace

void Metrics::observe_run(double seconds) {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++buckets_[i];
      break;
    }
  }
  ++count_;
  sum_ += seconds;
}

void Metrics::count_report(const std::string& result) {
  std::lock_guard lock(mutex_);
  ++reports_[result];
}

void Metrics::count_rejected(int status) {
  std::lock_guard lock(mutex_);
  ++rejected_[status];
}

std::string Metrics::render(const StoreStats& stats, const std::vector<SlotSample>& slots) const {
  std::ostringstream out;
  head(out, "turnout_build_info", "gauge", "The running turnout's version.");
  out << "turnout_build_info{version=\"" << TURNOUT_VERSION << "\"} 1\n";
  head(out, "turnout_webhook_deliveries_total", "counter",
       "Webhook deliveries recorded, by what became of them.");
  labelled(out, "turnout_webhook_deliveries_total", "result", stats.deliveries_by_result);
  head(out, "turnout_runs", "gauge", "Runs in the store, by status.");
  labelled(out, "turnout_runs", "status", stats.runs_by_status);
  head(out, "turnout_queue_depth", "gauge", "Runs queued for the agent's workers.");
  out << "turnout_queue_depth " << stats.queue_depth << '\n';
  head(out, "turnout_reports_pending", "gauge", "Reports to GitHub and notify URLs waiting to be sent.");
  out << "turnout_reports_pending " << stats.reports_pending << '\n';
  // The agent's own share of the machine, under the names every Prometheus client uses.
  if (const auto own = util::read_process_stats()) {
    head(out, "process_cpu_seconds_total", "counter", "CPU time the agent has used (user and system).");
    out << "process_cpu_seconds_total " << own->cpu_seconds << '\n';
    head(out, "process_resident_memory_bytes", "gauge", "The agent's resident memory.");
    out << "process_resident_memory_bytes " << own->resident_bytes << '\n';
  }
  slot_gauge(out, "turnout_slot_live", "1 for the slot the app's proxy points at.", slots, &SlotSample::live);
  slot_gauge(out, "turnout_slot_alive", "1 while the slot's process runs.", slots, &SlotSample::alive);
  slot_gauge(out, "turnout_slot_healthy", "1 when the slot answered a health probe at this scrape.", slots,
             &SlotSample::healthy);
  slot_usage(out, slots);
  head(out, "turnout_traffic_weight", "gauge",
       "The slot's share of the app's traffic in percent, as the proxy says (a canary's weight).");
  for (const auto& slot : slots) {
    if (!slot.weight) continue;
    out << "turnout_traffic_weight{app=\"" << escape_label_value(slot.app) << "\",slot=\""
        << escape_label_value(slot.slot) << "\"} " << *slot.weight << '\n';
  }

  std::lock_guard lock(mutex_);
  head(out, "turnout_webhook_rejected_total", "counter",
       "Webhook requests refused (bad signature, body or size) since start.");
  for (const auto& [status, count] : rejected_)
    out << "turnout_webhook_rejected_total{code=\"" << status << "\"} " << count << '\n';
  head(out, "turnout_reports_total", "counter",
       "Attempts to send a report since start: sent, failed (tried again later) or dropped.");
  for (const auto& [result, count] : reports_)
    out << "turnout_reports_total{result=\"" << result << "\"} " << count << '\n';
  head(out, "turnout_run_duration_seconds", "histogram", "How long the runs this agent ran took.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += buckets_[i];
    out << "turnout_run_duration_seconds_bucket{le=\"" << kBuckets[i] << "\"} " << cumulative << '\n';
  }
  out << "turnout_run_duration_seconds_bucket{le=\"+Inf\"} " << count_ << '\n';
  out << "turnout_run_duration_seconds_sum " << sum_ << '\n';
  out << "turnout_run_duration_seconds_count " << count_ << '\n';
  return out.str();
}

}  // namespace turnout::agent
