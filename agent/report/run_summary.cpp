#include "agent/report/run_summary.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <sstream>

#include "util/utc_time.h"

namespace turnout::agent {

long long elapsed_ms(const std::string& from, const std::string& to) {
  const auto start = util::parse_utc(from);
  const auto end = util::parse_utc(to);
  if (!start || !end || *end < *start) return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(*end - *start).count();
}

std::string run_summary(const RunRecord& run, const std::string& repo_name, const std::string& url) {
  Poco::JSON::Object body;
  body.set("run", run.id);
  body.set("repo", repo_name);
  body.set("pipeline", run.pipeline);
  body.set("branch", run.branch);
  body.set("ref", run.ref);
  body.set("sha", run.sha);
  body.set("trigger", to_string(run.trigger));
  body.set("status", to_string(run.status));
  body.set("reason", run.reason);
  body.set("url", url);
  body.set("started_at", run.started_at);
  body.set("finished_at", run.finished_at);
  body.set("duration_ms", elapsed_ms(run.started_at, run.finished_at));
  Poco::JSON::Array stages;
  for (const auto& stage : run.stages) {
    Poco::JSON::Object item;
    item.set("name", stage.name);
    item.set("status", std::string(steps::to_string(stage.status)));
    item.set("reason", stage.reason);
    item.set("duration_ms", elapsed_ms(stage.started_at, stage.finished_at));
    stages.add(item);
  }
  body.set("stages", stages);
  std::ostringstream out;
  body.stringify(out);
  return out.str();
}

}  // namespace turnout::agent
