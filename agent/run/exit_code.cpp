#include "agent/run/exit_code.h"

namespace turnout::agent {

ExitCode exit_code_for(steps::Status status) {
  switch (status) {
    case steps::Status::succeeded:
    case steps::Status::skipped:
      return kExitSucceeded;
    case steps::Status::cancelled:
      return kExitCancelled;
    default:
      return kExitFailed;
  }
}

}  // namespace turnout::agent
