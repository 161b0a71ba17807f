#include "agent/run/run_json.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace turnout::agent {

namespace {

// An empty time means "not yet": JSON says so with null rather than "".
Poco::Dynamic::Var time_or_null(const std::string& time) {
  return time.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(time);
}

// A number, or null when it is not known.
Poco::Dynamic::Var number_or_null(const std::optional<std::int64_t>& value) {
  return value ? Poco::Dynamic::Var(*value) : Poco::Dynamic::Var();
}

// What a step or a run stalled on, in microseconds, and whose stalls they are (`source`:
// "cgroup", "machine", or for a run "mixed").
Poco::JSON::Object::Ptr pressure_to_json(const std::string& source, const util::PressureStall& stall) {
  Poco::JSON::Object::Ptr json = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  json->set("source", source);
  json->set("cpu_some_us", stall.cpu_some_us);
  json->set("memory_some_us", stall.memory_some_us);
  json->set("memory_full_us", stall.memory_full_us);
  json->set("io_some_us", stall.io_some_us);
  json->set("io_full_us", stall.io_full_us);
  return json;
}

// What a run's steps used together: the largest peak memory, the sum of CPU time and stalls.
Poco::JSON::Object::Ptr resources_to_json(const RunResources& resources) {
  Poco::JSON::Object::Ptr json = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  json->set("peak_memory_bytes", number_or_null(resources.peak_memory_bytes));
  json->set("cpu_ms", number_or_null(resources.cpu_ms));
  Poco::Dynamic::Var pressure;
  if (const auto& total = resources.pressure) {
    const auto source = total->source ? std::string(util::to_string(*total->source)) : "mixed";
    pressure = pressure_to_json(source, total->stall);
  }
  json->set("pressure", pressure);
  return json;
}

Poco::JSON::Object::Ptr step_to_json(const StepRecord& step) {
  Poco::JSON::Object::Ptr json = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  json->set("name", step.name);
  json->set("status", std::string(steps::to_string(step.status)));
  json->set("exit_code", step.exit_code ? Poco::Dynamic::Var(*step.exit_code) : Poco::Dynamic::Var());
  json->set("reason", step.reason);
  json->set("started_at", time_or_null(step.started_at));
  json->set("finished_at", time_or_null(step.finished_at));
  json->set("peak_memory_bytes", number_or_null(step.peak_memory_bytes));
  json->set("cpu_ms", number_or_null(step.cpu_ms));
  json->set("pressure", step.pressure ? Poco::Dynamic::Var(pressure_to_json(
                                            util::to_string(step.pressure->source), step.pressure->stall))
                                      : Poco::Dynamic::Var());
  return json;
}

Poco::JSON::Object::Ptr stage_to_json(const StageRecord& stage) {
  Poco::JSON::Object::Ptr json = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  json->set("name", stage.name);
  json->set("status", std::string(steps::to_string(stage.status)));
  json->set("reason", stage.reason);
  json->set("started_at", time_or_null(stage.started_at));
  json->set("finished_at", time_or_null(stage.finished_at));
  Poco::JSON::Array::Ptr steps = new Poco::JSON::Array;
  for (const auto& step : stage.steps) steps->add(step_to_json(step));
  json->set("steps", steps);
  return json;
}

std::string stringify(const Poco::Dynamic::Var& value) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(value, out);
  return out.str();
}

}  // namespace

Poco::JSON::Object::Ptr run_to_json(const RunRecord& run) {
  Poco::JSON::Object::Ptr json = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  json->set("id", run.id);
  json->set("status", to_string(run.status));
  json->set("reason", run.reason);
  json->set("repo", run.repo);
  json->set("ref", run.ref);
  json->set("branch", run.branch);
  json->set("sha", run.sha);
  json->set("pipeline", run.pipeline);
  json->set("trigger", to_string(run.trigger));
  json->set("rerun_of", run.rerun_of ? Poco::Dynamic::Var(*run.rerun_of) : Poco::Dynamic::Var());
  json->set("superseded_by",
            run.superseded_by ? Poco::Dynamic::Var(*run.superseded_by) : Poco::Dynamic::Var());
  json->set("queued_at", run.queued_at);
  json->set("started_at", time_or_null(run.started_at));
  json->set("finished_at", time_or_null(run.finished_at));
  json->set("resources", resources_to_json(run.resources));
  if (!run.stages.empty()) {
    Poco::JSON::Array::Ptr stages = new Poco::JSON::Array;
    for (const auto& stage : run.stages) stages->add(stage_to_json(stage));
    json->set("stages", stages);
  }
  return json;
}

std::string runs_to_json(const std::vector<RunRecord>& runs) {
  Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
  for (const auto& run : runs) array->add(run_to_json(run));
  return stringify(array);
}

std::string run_to_json_text(const RunRecord& run) { return stringify(run_to_json(run)); }

}  // namespace turnout::agent
