#include "agent/store/run_record.h"

#include <array>
#include <utility>

#include "util/utc_time.h"

namespace turnout::agent {
namespace {

constexpr std::array<std::pair<RunStatus, const char*>, 7> kRunStatusNames{{
    {RunStatus::queued, "queued"},
    {RunStatus::running, "running"},
    {RunStatus::succeeded, "succeeded"},
    {RunStatus::failed, "failed"},
    {RunStatus::cancelled, "cancelled"},
    {RunStatus::superseded, "superseded"},
    {RunStatus::error, "error"},
}};

}  // namespace

const char* to_string(RunStatus status) {
  for (const auto& [value, name] : kRunStatusNames) {
    if (value == status) return name;
  }
  return "unknown";
}

std::optional<RunStatus> parse_run_status(const std::string& text) {
  for (const auto& [value, name] : kRunStatusNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

namespace {

constexpr std::array<std::pair<Trigger, const char*>, 7> kTriggerNames{{
    {Trigger::cli, "cli"},
    {Trigger::webhook, "webhook"},
    {Trigger::rerun, "rerun"},
    {Trigger::redelivery, "redelivery"},
    {Trigger::actions, "actions"},
    {Trigger::requeue, "requeue"},
    {Trigger::manual, "manual"},
}};

}  // namespace

const char* to_string(Trigger trigger) {
  for (const auto& [value, name] : kTriggerNames) {
    if (value == trigger) return name;
  }
  return "unknown";
}

std::optional<Trigger> parse_trigger(std::string_view text) {
  for (const auto& [value, name] : kTriggerNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

std::string run_status_names() {
  std::string names;
  for (const auto& [value, name] : kRunStatusNames) names += (names.empty() ? "" : ", ") + std::string(name);
  return names;
}

bool is_final(RunStatus status) { return status != RunStatus::queued && status != RunStatus::running; }

RunEnding stamped(RunEnding ending) {
  if (ending.finished_at.empty()) ending.finished_at = util::utc_now();
  return ending;
}

}  // namespace turnout::agent
