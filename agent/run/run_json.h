#pragma once

#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

#include "agent/store/run_record.h"

namespace turnout::agent {

/// The run object shared by `turnout runs --json` and the API: id, status, reason, repo, ref,
/// branch, sha, pipeline, trigger, rerun_of, queued_at, started_at, finished_at (null when not
/// yet), and `stages` with their `steps` when the record carries them.
Poco::JSON::Object::Ptr run_to_json(const RunRecord& run);

/// A JSON array of run objects, as text.
std::string runs_to_json(const std::vector<RunRecord>& runs);

/// One run object, as text.
std::string run_to_json_text(const RunRecord& run);

}  // namespace turnout::agent
