#include "agent/dashboard/page_values.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdio>

#include "util/utc_time.h"

namespace turnout::agent {

using namespace std::chrono;

std::string span_text(milliseconds span) {
  const auto ms = span.count();
  if (ms < 1000) return std::to_string(ms) + " ms";
  const auto s = ms / 1000;
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
  if (s < 86400) return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
  return std::to_string(s / 86400) + " d " + std::to_string(s % 86400 / 3600) + " h";
}

std::string time_ago(const std::string& time, system_clock::time_point now) {
  if (time.empty()) return "";
  const auto at = util::parse_utc(time);
  if (!at) return time;
  const auto s = duration_cast<seconds>(now - *at).count();
  if (s < 0) return "just now";
  if (s < 60) return std::to_string(s) + " s ago";
  if (s < 3600) return std::to_string(s / 60) + " min ago";
  if (s < 86400) return std::to_string(s / 3600) + " h ago";
  return std::to_string(s / 86400) + " d ago";
}

std::string duration_text(const std::string& start, const std::string& end, system_clock::time_point now) {
  if (start.empty()) return "";
  const auto from = util::parse_utc(start);
  const auto to = end.empty() ? std::optional(now) : util::parse_utc(end);
  if (!from || !to) return "";
  return span_text(duration_cast<milliseconds>(*to - *from));
}

PageData time_value(const std::string& time, system_clock::time_point now) {
  if (time.empty()) return PageData(false);
  PageData value;
  value.set("iso", time);
  value.set("ago", time_ago(time, now));
  return value;
}

PageData run_row(const RunRecord& run, system_clock::time_point now) {
  PageData row;
  row.set("id", std::to_string(run.id));
  row.set("status", to_string(run.status));
  row.set("pipeline", text(run.pipeline));
  row.set("repo", text(run.repo_name.empty() ? run.repo : run.repo_name));
  row.set("branch", text(run.branch));
  row.set("sha", text(run.sha));
  row.set("short_sha", text(run.sha.substr(0, 7)));
  row.set("trigger", to_string(run.trigger));
  row.set("queued", time_value(run.queued_at, now));
  row.set("started", time_value(run.started_at, now));
  row.set("finished", time_value(run.finished_at, now));
  row.set("duration", text(duration_text(run.started_at, run.finished_at, now)));
  row.set("reason", text(run.reason));
  row.set("title", text(run.message.substr(0, run.message.find('\n'))));
  row.set("message", text(run.message));
  row.set("live", !is_final(run.status));
  return row;
}

namespace {

// Seconds of latency for a person: "12.5 ms", "1.25 s"; "–" when the window has no answer.
std::string latency_text(const Poco::Dynamic::Var& seconds) {
  if (seconds.isEmpty()) return "–";
  const double value = seconds.convert<double>();
  char text[32];
  if (value < 1.0)
    std::snprintf(text, sizeof text, "%.3g ms", value * 1000.0);
  else
    std::snprintf(text, sizeof text, "%.3g s", value);
  return text;
}

// A share (0..1) for a person: "75%", "0.4%".
std::string share_text(double share) {
  char text[32];
  std::snprintf(text, sizeof text, share >= 0.1 || share == 0 ? "%.0f%%" : "%.1f%%", share * 100.0);
  return text;
}

// The window's series (app_status_json's `traffic.series`) as the page's last minute: one entry
// per stretch, oldest first, with how long ago it was ("50–60 s ago") for its title.
PageList series_value(const Poco::JSON::Object::Ptr& series) {
  PageList list;
  if (!series) return list;
  const auto requests = series->getArray("requests");
  const auto errors = series->getArray("errors_5xx");
  if (!requests || !errors || requests->size() != errors->size()) return list;
  const double step = series->optValue<double>("step_seconds", 10);
  const std::size_t count = requests->size();
  for (std::size_t i = 0; i < count; ++i) {
    PageData stretch;
    const auto newer = static_cast<long>(step * static_cast<double>(count - 1 - i));
    stretch.set("requests", std::to_string(requests->getElement<std::uint64_t>(i)));
    const auto failed = errors->getElement<std::uint64_t>(i);
    stretch.set("errors", failed > 0 ? PageData(std::to_string(failed)) : PageData(false));
    stretch.set("ago", newer == 0 ? "the last " + std::to_string(static_cast<long>(step)) + " s"
                                  : std::to_string(newer) + "–" +
                                        std::to_string(newer + static_cast<long>(step)) + " s ago");
    list.push_back(stretch);
  }
  return list;
}

// The traffic feed's window of a slot (app_status_json's `traffic`, with the page's `share` of
// the app's requests): requests, their share, share of 5xx, p50, p95 and the last minute in
// stretches; false (nothing shown) when the app has no feed or the agent none.
PageData traffic_value(const Poco::JSON::Object::Ptr& traffic) {
  if (!traffic) return PageData(false);
  PageData value;
  if (traffic->has("share")) {
    const double share = traffic->getValue<double>("share");
    PageData split;
    split.set("text", share_text(share));
    char fraction[32];
    std::snprintf(fraction, sizeof fraction, "%.4f", share);
    split.set("value", std::string(fraction));
    value.set("share", split);
  } else {
    value.set("share", PageData(false));
  }
  value.set("series", series_value(traffic->getObject("series")));
  const auto requests = traffic->optValue<std::uint64_t>("requests", 0);
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.1f%%", traffic->optValue<double>("error_rate", 0.0) * 100.0);
  value.set("requests", std::to_string(requests));
  value.set("errors", std::to_string(traffic->optValue<std::uint64_t>("errors_5xx", 0)));
  value.set("error_rate", std::string(rate));
  value.set("bad", traffic->optValue<std::uint64_t>("errors_5xx", 0) > 0);
  value.set("window", std::to_string(traffic->optValue<int>("window_seconds", 60)) + " s");
  const auto latency = traffic->getObject("latency_seconds");
  value.set("p50", latency_text(latency ? latency->get("p50") : Poco::Dynamic::Var()));
  value.set("p95", latency_text(latency ? latency->get("p95") : Poco::Dynamic::Var()));
  return value;
}

PageData slot_value(const Poco::JSON::Object::Ptr& slot, system_clock::time_point now) {
  if (!slot) return PageData(false);
  PageData value = from_json(slot);
  const auto sha = slot->optValue<std::string>("sha", "");
  const auto release = slot->optValue<std::string>("release", "");
  value.set("sha", text(sha.substr(0, 7)));
  value.set("full_sha", text(sha));
  value.set("release", text(release.substr(release.rfind('/') + 1)));
  value.set("since", time_value(slot->optValue<std::string>("since", ""), now));
  value.set("traffic", traffic_value(slot->getObject("traffic")));
  return value;
}

}  // namespace

PageData app_value(const Poco::JSON::Object::Ptr& app, system_clock::time_point now) {
  PageData value = from_json(app);
  value.set("live", slot_value(app->getObject("live"), now));
  value.set("idle", slot_value(app->getObject("idle"), now));
  return value;
}

PageData from_json(const Poco::Dynamic::Var& value) {
  if (value.isEmpty()) return PageData(false);
  if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
    PageData object;
    for (const auto& [key, item] : *value.extract<Poco::JSON::Object::Ptr>())
      object.set(key, from_json(item));
    return object;
  }
  if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
    PageList list;
    for (const auto& item : *value.extract<Poco::JSON::Array::Ptr>()) list.push_back(from_json(item));
    return PageData(list);
  }
  if (value.type() == typeid(bool)) return PageData(value.extract<bool>());
  return text(value.convert<std::string>());
}

}  // namespace turnout::agent
