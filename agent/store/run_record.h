#pragma once
// What the store keeps of a run, its stages and its steps: plain data, as the CLI and the API show it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/pipeline.h"
#include "steps/status.h"
#include "steps/step_pressure.h"

namespace turnout::agent {

/// The life of a run. Changed only through RunHistory and RunQueue, which logs `run 42: running ->
/// succeeded`.
enum class RunStatus { queued, running, succeeded, failed, cancelled, superseded, error };

/// Lower-case name, as stored and shown: "queued", "running", ...
const char* to_string(RunStatus status);
/// The status named `text`; nullopt for anything else.
std::optional<RunStatus> parse_run_status(const std::string& text);
/// Every status's name, comma-separated, for a message that lists what is accepted.
std::string run_status_names();
/// True for the statuses a run never leaves (succeeded, failed, cancelled, superseded, error).
bool is_final(RunStatus status);

/// Why a run exists.
enum class Trigger {
  cli,         ///< `turnout run`
  webhook,     ///< a push a forge delivered
  rerun,       ///< a person asked for a run again (`turnout rerun`, the API)
  redelivery,  ///< a forge delivered a push again after its run had ended
  actions,     ///< `turnout run` as a GitHub Actions step
  requeue,     ///< the same commit again, after the agent had to stop its run
  manual,      ///< a person asked for a branch's head (`turnout trigger`, the API)
};

/// Lower-case name, as stored and shown: "cli", "webhook", ...
const char* to_string(Trigger trigger);
/// The trigger named `text`; nullopt for anything else.
std::optional<Trigger> parse_trigger(std::string_view text);

/// One step of a recorded run.
struct StepRecord {
  int index = 0;                                  ///< 0-based position in its stage
  std::string name;                               ///< the step's name
  steps::Status status = steps::Status::pending;  ///< see steps::Status
  std::optional<int> exit_code;                   ///< when the shell exited
  std::string reason;                             ///< "exited 1", "timed out after 10s", "" when it succeeded
  std::string started_at;   ///< ISO-8601 UTC with milliseconds, "" when it never started
  std::string finished_at;  ///< likewise
  std::optional<std::int64_t> peak_memory_bytes{};  ///< largest resident set of its processes, when known
  std::optional<std::int64_t> cpu_ms{};             ///< CPU time of its processes, when known
  std::optional<steps::StepPressure> pressure{};    ///< what it stalled on and whose stalls, when known
};

/// One stage of a recorded run.
struct StageRecord {
  int index = 0;                                  ///< 0-based position in the pipeline
  std::string name;                               ///< the stage's name
  steps::Status status = steps::Status::pending;  ///< see steps::Status
  std::string reason;                             ///< why it failed or was skipped
  std::string started_at;                         ///< ISO-8601 UTC, "" when it never started
  std::string finished_at;                        ///< likewise
  std::vector<StepRecord> steps;                  ///< in order
};

/// The stalls of a run's steps added up, and whose they are.
struct RunPressure {
  /// The run's group or the machine; nullopt when some steps had the one and some the other
  /// (shown as "mixed": a sum of both says the run waited, not on whom).
  std::optional<util::PressureScope> source{};
  util::PressureStall stall{};  ///< summed over its steps with figures
};

/// What a run's steps used together, as the store adds it up (RunHistory's list, page and get).
struct RunResources {
  std::optional<std::int64_t> peak_memory_bytes{};  ///< the largest of its steps'; nullopt when none is known
  std::optional<std::int64_t> cpu_ms{};             ///< the sum of its steps'; nullopt when none is known
  std::optional<RunPressure> pressure{};            ///< nullopt when no step has pressure figures
};

/// A recorded run: the run object of `turnout runs --json` and of the API.
struct RunRecord {
  std::int64_t id = 0;                   ///< assigned by the store, increasing
  std::string repo;                      ///< URL or path it was fetched from
  std::string ref;                       ///< e.g. refs/heads/main; "" for a bare sha
  std::string branch;                    ///< short branch name; "" when none
  std::string sha;                       ///< full commit id; "" when unknown (a folder that is no repository)
  std::string pipeline;                  ///< the pipeline's `name`, "" until it is loaded
  Trigger trigger = Trigger::cli;        ///< see Trigger
  std::optional<std::int64_t> rerun_of;  ///< the run this one reran
  RunStatus status = RunStatus::queued;  ///< see RunStatus
  std::string reason;                    ///< why it failed, errored or was superseded; "" otherwise
  std::string queued_at;                 ///< ISO-8601 UTC with milliseconds
  std::string started_at;                ///< "" until it starts
  std::string finished_at;               ///< "" until it ends
  std::string repo_name;                 ///< owner/repo of the agent config's repos[] entry; "" for CLI runs
  bool scheduled = false;                ///< true: the agent's queue runs it (webhook, API); false: a CLI run
  std::optional<pipeline::Concurrency> concurrency;  ///< the pipeline's `concurrency`, once it is loaded
  std::optional<std::int64_t> superseded_by;         ///< the newer run that replaced this one
  std::string message;  ///< the commit's message as the push named it (its first 4 KiB); "" when unknown
  std::vector<StageRecord> stages;  ///< filled by RunHistory::get only
  RunResources resources{};         ///< filled by RunHistory's list, page and get
};

/// Which runs a page of history shows (RunHistory::page); "" lets every value through.
struct RunFilter {
  std::string repo_name;               ///< owner/repo of the agent config (runs of `turnout run` have none)
  std::string branch;                  ///< short branch name
  std::optional<RunStatus> status;     ///< one status
  std::optional<std::int64_t> before;  ///< only runs with a smaller id (the next page)
  int limit = 50;                      ///< at most this many
  std::string repo{};                  ///< the URL or folder fetched (`turnout run`'s runs have no repo_name)
};

/// A page of runs and whether older ones remain.
struct RunPage {
  std::vector<RunRecord> runs;  ///< newest first
  bool more = false;            ///< runs older than the last one pass the filter too
};

/// What a new run is about; the store adds id, status queued and queued_at.
struct NewRun {
  std::string repo;                      ///< see RunRecord
  std::string ref;                       ///< see RunRecord
  std::string branch;                    ///< see RunRecord
  std::string sha;                       ///< see RunRecord
  std::string pipeline;                  ///< see RunRecord
  Trigger trigger = Trigger::cli;        ///< see RunRecord
  std::optional<std::int64_t> rerun_of;  ///< see RunRecord
  std::string repo_name{};               ///< see RunRecord
  bool scheduled = false;                ///< see RunRecord
  std::string message{};                 ///< see RunRecord
};

/// The rows of a run's stages and steps that the store could not write while it ran (a full
/// disk): written with its end, so a run recorded late shows what its stages and steps did.
struct UnwrittenProgress {
  std::vector<StageRecord> stages;                                ///< whole stage rows, without their steps
  std::vector<std::pair<int, StepRecord>> steps;                  ///< (its stage's index, the step's row)
  bool empty() const { return stages.empty() && steps.empty(); }  ///< nothing to write
};

/// How a run ends: its final status and why. A run the agent had to stop before it could finish
/// (`requeue`) is queued again in the same transaction, so its push is not lost.
struct RunEnding {
  RunStatus status = RunStatus::failed;         ///< a final status
  std::string reason;                           ///< "" when it succeeded
  std::optional<std::int64_t> superseded_by{};  ///< with status superseded: the run that replaced it
  bool requeue = false;                         ///< queue the same commit again (trigger `requeue`)
  /// When it ended (ISO-8601 UTC); "" for the time it is recorded. Set before the first try, so
  /// an end recorded late keeps its real time.
  std::string finished_at{};
  UnwrittenProgress progress{};  ///< stage and step rows to write with the end
};

/// `ending` with `finished_at` set to now when it has no time yet.
RunEnding stamped(RunEnding ending);

}  // namespace turnout::agent
