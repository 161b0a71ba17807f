#include "steps/environment.h"

#include <array>

namespace turnout::steps {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

void overlay(std::map<std::string, std::string>& into, const std::map<std::string, std::string>& layer) {
  for (const auto& [name, value] : layer) into[name] = value;
}

}  // namespace

bool is_inherited(std::string_view name) {
  static constexpr std::array kNames = {
      "PATH",     "HOME",       "USER",        "LOGNAME",  "SHELL",         "LANG",
      "LANGUAGE", "TZ",         "TMPDIR",      "CI",       "HTTP_PROXY",    "HTTPS_PROXY",
      "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR"};
  for (const char* allowed : kNames) {
    if (name == allowed) return true;
  }
  if (name == "GITHUB_TOKEN") return false;  // a credential: only through `secrets`
  return starts_with(name, "LC_") || starts_with(name, "GITHUB_") || starts_with(name, "RUNNER_");
}

std::map<std::string, std::string> inherited_environment(char** environ) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view name = text.substr(0, equals);
    if (is_inherited(name)) env.emplace(name, text.substr(equals + 1));
  }
  return env;
}

pipeline::EnvMap turnout_variables(const RunContext& context) {
  return {
      {"TURNOUT_RUN_ID", context.run_id},
      {"TURNOUT_REPO", context.repo},
      {"TURNOUT_REF", context.ref},
      {"TURNOUT_BRANCH", context.branch},
      {"TURNOUT_SHA", context.sha},
      {"TURNOUT_TRIGGER", context.trigger},
      {"TURNOUT_WORKSPACE", context.workspace},
  };
}

std::vector<std::string> step_environment(const RunContext& context, const pipeline::Pipeline& pipeline,
                                          const pipeline::Stage& stage, const pipeline::Step& step) {
  std::map<std::string, std::string> env = context.inherited_env;
  overlay(env, context.secrets);
  overlay(env, pipeline.env);
  overlay(env, stage.env);
  overlay(env, step.env);
  overlay(env, turnout_variables(context));
  std::vector<std::string> entries;
  entries.reserve(env.size());
  for (const auto& [name, value] : env) entries.push_back(name + "=" + value);
  return entries;
}

}  // namespace turnout::steps
