#pragma once

#include "steps/status.h"

namespace turnout::agent {

/// turnout's exit codes, the same for every command.
enum ExitCode : int {
  kExitSucceeded = 0,   ///< the run succeeded, or the command did what it was asked
  kExitFailed = 1,      ///< the run failed (a step, a stage, a remote at run time)
  kExitUsage = 2,       ///< bad command line, bad pipeline or config: nothing was run
  kExitCancelled = 130  ///< Ctrl-C or SIGTERM cancelled the run (128 + SIGINT, as shells do)
};

/// The exit code for a run that ended with `status`.
ExitCode exit_code_for(steps::Status status);

}  // namespace turnout::agent
