// /deliveries: every webhook delivery, the refused ones too.
#include <charconv>

#include "agent/dashboard/page_values.h"
#include "agent/dashboard/pages.h"

namespace turnout::agent {

namespace {

constexpr int kPageDeliveries = 100;

// The status a delivery was answered with; older rows did not keep it, their result says it.
std::string status_of(const DeliveryRow& delivery) {
  if (delivery.status != 0) return std::to_string(delivery.status);
  if (delivery.result == "queued" || delivery.result == "ignored") return "202";
  if (delivery.result == "pong" || delivery.result == "duplicate") return "200";
  return "";
}

PageData delivery_row(const DeliveryRow& delivery, std::chrono::system_clock::time_point now) {
  PageData row;
  row.set("id", std::to_string(delivery.id));
  row.set("received", time_value(delivery.received_at, now));
  row.set("forge", text(delivery.forge));
  row.set("delivery_id", text(delivery.delivery_id));
  row.set("event", text(delivery.event));
  row.set("repo", text(delivery.repo));
  row.set("ref", text(delivery.ref));
  row.set("short_sha", text(delivery.sha.substr(0, 7)));
  row.set("result", text(delivery.result));
  row.set("refused", delivery.result == "rejected");
  row.set("status", text(status_of(delivery)));
  row.set("reason", text(delivery.reason));
  if (delivery.run) row.set("run", std::to_string(*delivery.run));
  return row;
}

}  // namespace

PageAnswer deliveries_page(const PageSources& sources, const std::map<std::string, std::string>& query) {
  std::optional<std::int64_t> before;
  for (const auto& [key, value] : query) {
    std::int64_t id = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), id);
    if (key != "before")
      return error_page(400, "Bad parameter", "unknown parameter '" + key + "' (expected before)");
    if (error != std::errc() || end != value.data() + value.size() || id < 1)
      return error_page(400, "Bad page", "before must be a delivery id, not '" + value + "'");
    before = id;
  }
  const auto page = sources.deliveries.page(before, kPageDeliveries);
  if (!page) return error_page(500, "The store cannot be read", page.error().message);
  const auto now = std::chrono::system_clock::now();
  PageList rows;
  for (const auto& delivery : page.value().deliveries) rows.push_back(delivery_row(delivery, now));
  PageData data;
  data.set("deliveries", rows);
  if (page.value().more) data.set("older", std::to_string(page.value().deliveries.back().id));
  data.set("keep", std::to_string(DeliveryLog::kKeepRefused));
  data.set("keep_all", std::to_string(detail::kKeepDeliveries));
  return {200, "deliveries.mustache", data, "Deliveries", "deliveries"};
}

}  // namespace turnout::agent
