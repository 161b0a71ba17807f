#pragma once
// What a GitHub Actions runner tells a step through its environment, read once and validated.

#include <functional>
#include <optional>
#include <string>

#include "util/result.h"

namespace turnout::agent::actions {

/// The GITHUB_* variables turnout uses when it runs as a step of a workflow job.
struct ActionsEnvironment {
  std::string workspace;     ///< GITHUB_WORKSPACE: the checkout, an existing folder
  std::string sha;           ///< GITHUB_SHA: the commit the workflow runs for (40 hex digits)
  std::string ref;           ///< GITHUB_REF, e.g. refs/heads/main; may be ""
  std::string branch;        ///< GITHUB_REF_NAME, e.g. main
  std::string repository;    ///< GITHUB_REPOSITORY, e.g. acme/cafeteria; may be ""
  std::string output_file;   ///< GITHUB_OUTPUT: where outputs are appended
  std::string summary_file;  ///< GITHUB_STEP_SUMMARY: where the job summary is appended
};

/// Looks a variable up; nullopt when it is not set.
using Getenv = std::function<std::optional<std::string>(const std::string&)>;

/// The process's own environment.
std::optional<std::string> process_getenv(const std::string& name);

/// True when GITHUB_ACTIONS is `true`: turnout is a step of a workflow job.
bool running_under_actions(const Getenv& getenv = process_getenv);

/// Reads and checks the variables; the first one missing or wrong is one error line that names
/// it and says what to do.
util::Result<ActionsEnvironment> read_actions_environment(const Getenv& getenv = process_getenv);

}  // namespace turnout::agent::actions
