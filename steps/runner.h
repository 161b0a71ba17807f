#pragma once

#include <string>
#include <vector>

#include "pipeline/pipeline.h"
#include "steps/cancel_token.h"
#include "steps/deploy/traffic_feed.h"
#include "steps/run_context.h"
#include "steps/run_observer.h"
#include "steps/run_result.h"

namespace turnout::steps {

/// How a Runner runs a pipeline, besides the pipeline itself.
struct RunnerOptions {
  std::vector<std::string> only_stages;  ///< run just these stages (in pipeline order); empty = all
  util::Duration kill_grace = util::Duration(5000);  ///< TERM -> KILL delay for a step's group
  class RunCgroup* cgroup = nullptr;  ///< the run's cgroup v2 group, which its steps join; none: no group
  deploy::FeedAccess traffic;         ///< the agent's traffic feed for deploy stages' verify, or why none
};

/// Runs the stages of a pipeline in order, stopping at the first failed stage (unless it may
/// fail), and tells every observer what happens. Holds no state between runs.
class Runner {
 public:
  /// `observers` and `cancel` must outlive the runner.
  Runner(std::vector<RunObserver*> observers, const CancelToken& cancel, RunnerOptions options = {});

  /// Runs `pipeline` in `context.workspace`. Failed steps are results, not errors.
  RunResult run(const pipeline::Pipeline& pipeline, const RunContext& context);

 private:
  StageResult run_stage(const pipeline::Pipeline& pipeline, const pipeline::Stage& stage,
                        const RunContext& context, const class SecretMasker& masker);
  StageResult skip_stage(const pipeline::Stage& stage, Status status, std::string reason);
  bool selected(const pipeline::Stage& stage) const;

  std::vector<RunObserver*> observers_;
  const CancelToken& cancel_;
  RunnerOptions options_;
};

/// Why a stage does not run on `branch`, or "" when its `when.branches` lets it run.
std::string branch_mismatch(const pipeline::Stage& stage, const std::string& branch);

}  // namespace turnout::steps
