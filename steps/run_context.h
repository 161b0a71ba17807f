#pragma once

#include <map>
#include <string>

namespace turnout::steps {

/// Everything a run knows about where it comes from. The values may come from a webhook, so
/// they reach steps only as environment variables, never inside a command line (invariant 1).
struct RunContext {
  std::string workspace;      ///< absolute path of the checked-out commit
  std::string run_id;         ///< TURNOUT_RUN_ID
  std::string repo;           ///< TURNOUT_REPO, e.g. acme/cafeteria or a path
  std::string ref;            ///< TURNOUT_REF, e.g. refs/heads/main
  std::string branch;         ///< TURNOUT_BRANCH; "" when unknown
  std::string sha;            ///< TURNOUT_SHA; "" when unknown
  std::string trigger;        ///< TURNOUT_TRIGGER: cli, webhook, rerun, redelivery, actions
  std::string data_dir;       ///< turnout's data folder: deploys keep apps/<app>/ there
  std::string pipeline_file;  ///< the pipeline's path relative to the workspace (kept with a release)
  std::map<std::string, std::string> inherited_env;  ///< from turnout's own environment, filtered
  std::map<std::string, std::string> secrets;        ///< name -> value, masked in all output
};

}  // namespace turnout::steps
