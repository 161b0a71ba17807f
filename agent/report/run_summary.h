#pragma once
// The body a `notify:` URL receives when a run ends: what ran, how it ended, each stage with
// its duration, and the link to the run. Signed like GitHub signs webhooks (report_sender.h).

#include <string>

#include "agent/store/run_record.h"

namespace turnout::agent {

/// The summary of ended run `run` (with its stages) of agent-config repository `repo_name`,
/// as JSON: run, repo, pipeline, branch, ref, sha, trigger, status, reason, url ("" without
/// public_url), started_at, finished_at, duration_ms, and stages [{name, status, reason,
/// duration_ms}].
std::string run_summary(const RunRecord& run, const std::string& repo_name, const std::string& url);

/// Milliseconds between two ISO-8601 UTC times of the store; 0 when either is missing.
long long elapsed_ms(const std::string& from, const std::string& to);

}  // namespace turnout::agent
