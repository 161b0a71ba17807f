#pragma once
// The Markdown job summary turnout appends to GITHUB_STEP_SUMMARY: the run's stages and steps
// with result and duration, and what it deployed.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "steps/deploy/slot.h"
#include "steps/run_result.h"

namespace turnout::agent::actions {

/// GitHub refuses a step's summary above 1 MiB (and shows none of it).
constexpr std::size_t kSummaryLimit = 1024 * 1024;

/// An app that a deploy stage of the run made live.
struct DeployedApp {
  std::string app;                                       ///< its name
  std::string sha;                                       ///< the commit now live
  steps::deploy::Slot slot = steps::deploy::Slot::blue;  ///< the slot now live
  int port = 0;                                          ///< the live slot's port
};

/// What the summary shows.
struct JobSummary {
  std::string pipeline;               ///< the pipeline's name
  std::string run_id;                 ///< turnout's run id
  std::string branch;                 ///< the branch built
  std::string sha;                    ///< the commit built
  steps::RunResult result;            ///< stages and steps
  std::vector<DeployedApp> deployed;  ///< in stage order
};

/// Renders `summary` in at most `limit` bytes: rows that do not fit are left out, with a line
/// that says how many and where the whole run is.
std::string render_job_summary(const JobSummary& summary, std::size_t limit = kSummaryLimit);

/// The summary of a run that could not start (a bad pipeline, a missing secret): the reason.
std::string render_rejected_summary(std::string_view message, std::size_t limit = kSummaryLimit);

/// `text` safe in a Markdown table cell: `|` escaped, line breaks as spaces, HTML as entities.
std::string markdown_cell(std::string_view text);

}  // namespace turnout::agent::actions
