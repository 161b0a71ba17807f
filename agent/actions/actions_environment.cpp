#include "agent/actions/actions_environment.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

namespace turnout::agent::actions {

namespace {

constexpr const char* kHint =
    " (the runner sets it for every step; outside a workflow, unset GITHUB_ACTIONS or give --dir)";

util::Error missing(const std::string& name) { return util::fail(name + " is not set" + kHint); }

bool is_full_sha(const std::string& text) {
  return text.size() == 40 && std::all_of(text.begin(), text.end(), [](unsigned char c) {
           return std::isdigit(c) != 0 || (c >= 'a' && c <= 'f');
         });
}

// Everything but the checks that need more than one variable.
std::optional<util::Error> read_required(const Getenv& getenv, ActionsEnvironment& out) {
  const std::pair<const char*, std::string*> required[] = {{"GITHUB_WORKSPACE", &out.workspace},
                                                           {"GITHUB_SHA", &out.sha},
                                                           {"GITHUB_REF_NAME", &out.branch},
                                                           {"GITHUB_OUTPUT", &out.output_file},
                                                           {"GITHUB_STEP_SUMMARY", &out.summary_file}};
  for (const auto& [name, into] : required) {
    auto value = getenv(name);
    if (!value || value->empty()) return missing(name);
    *into = std::move(*value);
  }
  out.ref = getenv("GITHUB_REF").value_or("");
  out.repository = getenv("GITHUB_REPOSITORY").value_or("");
  return std::nullopt;
}

}  // namespace

std::optional<std::string> process_getenv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

bool running_under_actions(const Getenv& getenv) { return getenv("GITHUB_ACTIONS").value_or("") == "true"; }

util::Result<ActionsEnvironment> read_actions_environment(const Getenv& getenv) {
  ActionsEnvironment env;
  if (auto error = read_required(getenv, env)) return *error;
  std::error_code error;
  if (!std::filesystem::is_directory(env.workspace, error)) {
    return util::fail("GITHUB_WORKSPACE '" + env.workspace +
                      "' is not a folder; check out the code first (actions/checkout)");
  }
  if (!is_full_sha(env.sha)) {
    return util::fail("GITHUB_SHA '" + env.sha + "' is not a full commit id (40 lower-case hex digits)");
  }
  return env;
}

}  // namespace turnout::agent::actions
