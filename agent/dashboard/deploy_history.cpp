#include "agent/dashboard/deploy_history.h"

#include "agent/dashboard/page_values.h"
#include "steps/deploy/deploy_record.h"

namespace turnout::agent {

namespace {

namespace deploy = steps::deploy;

// The result's badge: a class for its colour and a sign, so it never reads by colour alone.
void set_result(PageData& row, deploy::DeployResult result) {
  const char* badge = "bad";
  const char* sign = "✗";
  switch (result) {
    case deploy::DeployResult::live:
      badge = "ok";
      sign = "✓";
      break;
    case deploy::DeployResult::rolled_back:
      badge = "warn";
      sign = "↩";
      break;
    case deploy::DeployResult::cancelled:
      badge = "muted";
      sign = "■";
      break;
    case deploy::DeployResult::failed:
      break;
  }
  row.set("result", deploy::to_string(result));
  row.set("badge", badge);
  row.set("sign", sign);
  row.set("rolled_back", result == deploy::DeployResult::rolled_back);
  row.set("result_live", result == deploy::DeployResult::live);
}

PageData deploy_row(const deploy::DeployRecord& record, std::chrono::system_clock::time_point now) {
  PageData row;
  row.set("run", text(record.run_id));
  row.set("sha", text(record.sha.substr(0, 7)));
  row.set("full_sha", text(record.sha));
  row.set("target", deploy::to_string(record.target));
  row.set("from", text(record.from ? deploy::to_string(*record.from) : ""));
  row.set("started", time_value(record.started_at, now));
  row.set("took", text(duration_text(record.started_at, record.finished_at, now)));
  row.set("switched", time_value(record.switched_at, now));
  row.set("rolled_back_at", time_value(record.rolled_back_at, now));
  set_result(row, record.result);
  row.set("reason", text(record.reason));
  PageList phases;
  for (const auto& mark : record.phases) {
    PageData phase;
    phase.set("name", deploy::to_string(mark.phase));
    phase.set("offset", text(duration_text(record.started_at, mark.at, now)));
    phase.set("iso", text(mark.at));
    phases.push_back(phase);
  }
  row.set("phases", phases);
  PageList probes;
  for (const auto& failed : record.probes) {
    PageData probe;
    probe.set("attempt", std::to_string(failed.attempt));
    probe.set("attempts", std::to_string(failed.attempts));
    probe.set("why", text(failed.reason));
    probe.set("offset", text(duration_text(record.started_at, failed.at, now)));
    probe.set("iso", text(failed.at));
    probes.push_back(probe);
  }
  row.set("failed_probes", probes);
  row.set("probe_count", text(record.probes.empty() ? "" : std::to_string(record.probes.size())));
  return row;
}

}  // namespace

PageData deploy_history(const std::string& app_dir, std::chrono::system_clock::time_point now) {
  PageData history;
  PageList rows;
  const auto deploys = deploy::load_deploys(app_dir);
  if (deploys) {
    for (const auto& record : deploys.value()) rows.push_back(deploy_row(record, now));
  } else {
    history.set("problem", text(deploys.error().message));
  }
  history.set("deploys", rows);
  history.set("kept", std::to_string(deploy::kDeploysKept));
  return history;
}

}  // namespace turnout::agent
