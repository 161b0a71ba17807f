#include "agent/config/repo_reader.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

namespace turnout::agent::detail {

namespace {

using pipeline::detail::FirstSeen;
using pipeline::detail::line_of;
using pipeline::detail::position_of;

const std::vector<std::string> kRepoKeys = {"name",   "url",          "branches",   "pipeline", "github",
                                            "notify", "ssh_key_file", "token_file", "token_env"};
const std::vector<std::string> kGithubKeys = {"api_url",  "token_file",  "token_env",
                                              "statuses", "deployments", "environment"};
const std::vector<std::string> kNotifyKeys = {"url", "secret_file", "secret_env"};

// GitHub's owner and repository names: letters, digits, `-`, `_` and `.`.
bool is_repo_name(std::string_view name) {
  const auto slash = name.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash + 1 == name.size()) return false;
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  };
  const auto owner = name.substr(0, slash);
  const auto repo = name.substr(slash + 1);
  return std::all_of(owner.begin(), owner.end(), allowed) && std::all_of(repo.begin(), repo.end(), allowed);
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return text;
}

// The value of `key` in `map`, or a Null node. Not `map[key]`: on a missing key that gives a
// node that throws when asked anything.
YAML::Node value_of(const YAML::Node& map, const std::string& key) {
  for (const auto& pair : map) {
    if (pair.first.IsScalar() && pair.first.Scalar() == key) return pair.second;
  }
  return YAML::Node();
}

// Messages inside a repo name it by its `name:` when it has one, by number otherwise.
std::string repo_label(const YAML::Node& node, int index) {
  const YAML::Node name = value_of(node, "name");
  if (name.IsScalar() && !name.Scalar().empty()) return "repo '" + name.Scalar() + "'";
  return "repo " + std::to_string(index);
}

void read_github_key(ConfigReader& reader, const Entry& entry, const Where& where, GithubConfig& out) {
  if (entry.key == "api_url") {
    if (auto url = reader.http_url(entry, where)) out.api_url = std::move(*url);
  } else if (entry.key == "token_file" || entry.key == "token_env") {
    reader.secret(entry, where, out.token);
  } else if (entry.key == "statuses") {
    out.statuses = reader.boolean(entry, where).value_or(out.statuses);
  } else if (entry.key == "deployments") {
    out.deployments = reader.boolean(entry, where).value_or(out.deployments);
  } else if (entry.key == "environment") {
    if (auto name = reader.text(entry, where)) out.environment = std::move(*name);
  }
}

std::optional<GithubConfig> read_github(ConfigReader& reader, const Entry& entry, const Where& repo) {
  if (!reader.expect_map(entry, repo)) return std::nullopt;
  const Where where{"`github`", repo.part};
  GithubConfig github;
  for (const Entry& key : reader.entries(entry.value, kGithubKeys, where))
    read_github_key(reader, key, where, github);
  const bool reports = github.statuses || github.deployments;
  if (reports && !github.token.configured() && !reader.was_misspelt(entry.value, "token_file") &&
      !reader.was_misspelt(entry.value, "token_env")) {
    reader.error(entry.value, where.prefix() +
                                  "reporting statuses or deployments needs `token_file` or `token_env` "
                                  "(or set both to false)");
  }
  return github;
}

std::vector<NotifyTarget> read_notify(ConfigReader& reader, const Entry& entry, const Where& repo) {
  std::vector<NotifyTarget> targets;
  if (!reader.expect_list(entry, repo)) return targets;
  int index = 0;
  for (const auto& node : entry.value) {
    const Where where{"notify " + std::to_string(++index), repo.part};
    if (!node.IsMap()) {
      reader.error(node.IsNull() ? entry.value : node, where.in() + " must be a mapping with `url`");
      continue;
    }
    const auto entries = reader.entries(node, kNotifyKeys, where);
    reader.require(node, entries, {"url"}, where);
    NotifyTarget target;
    for (const Entry& key : entries) {
      if (key.key == "url") target.url = reader.http_url(key, where).value_or("");
      if (key.key != "url") reader.secret(key, where, target.secret);
    }
    if (!target.url.empty()) targets.push_back(std::move(target));
  }
  return targets;
}

void read_name(ConfigReader& reader, const Entry& entry, const Where& where, RepoConfig& out) {
  const auto name = reader.text(entry, where);
  if (!name) return;
  if (is_repo_name(*name)) {
    out.name = *name;
  } else {
    reader.error(entry.value,
                 where.prefix() + "`name` must be owner/repo, as on GitHub (got '" + *name + "')");
  }
}

void read_fetch_url(ConfigReader& reader, const Entry& entry, const Where& where, RepoConfig& out) {
  const auto url = reader.text(entry, where);
  if (!url) return;
  if (carries_password(*url)) {
    reader.error(
        entry.value,
        where.prefix() + "`url` must not hold a password: use `token_file` or `token_env` for the token");
  } else if (url->find_first_of(" \t\r\n") != std::string::npos) {
    reader.error(entry.value, where.prefix() + "`url` must not contain spaces");
  } else {
    out.url = *url;
  }
}

void read_branches(ConfigReader& reader, const Entry& entry, const Where& where, RepoConfig& out) {
  auto branches = reader.text_list(entry, where);
  if (!branches) return;
  if (branches->empty()) {
    reader.error(entry.value,
                 where.prefix() + "`branches` must not be empty (leave it out for main, master)");
    return;
  }
  out.branches = std::move(*branches);
}

// The pipeline is read from the checked-out commit, so its path stays inside it.
void read_pipeline_path(ConfigReader& reader, const Entry& entry, const Where& where, RepoConfig& out) {
  const auto path = reader.text(entry, where);
  if (!path) return;
  const std::filesystem::path given(*path);
  const bool escapes = std::any_of(given.begin(), given.end(), [](const auto& part) { return part == ".."; });
  if (given.is_absolute() || escapes) {
    reader.error(entry.value,
                 where.prefix() + "`pipeline` must be a path inside the repository (got '" + *path + "')");
    return;
  }
  out.pipeline = *path;
}

void read_repo_key(ConfigReader& reader, const Entry& entry, const Where& where, RepoConfig& out) {
  if (entry.key == "name") {
    read_name(reader, entry, where, out);
  } else if (entry.key == "url") {
    read_fetch_url(reader, entry, where, out);
  } else if (entry.key == "branches") {
    read_branches(reader, entry, where, out);
  } else if (entry.key == "pipeline") {
    read_pipeline_path(reader, entry, where, out);
  } else if (entry.key == "github") {
    out.github = read_github(reader, entry, where);
  } else if (entry.key == "notify") {
    out.notify = read_notify(reader, entry, where);
  } else if (entry.key == "ssh_key_file") {
    out.ssh_key_file = reader.path(entry, where).value_or("");
  } else if (entry.key == "token_file" || entry.key == "token_env") {
    reader.secret(entry, where, out.token);
  }
}

std::optional<RepoConfig> read_repo(ConfigReader& reader, const YAML::Node& node, const YAML::Node& list,
                                    int index) {
  if (!node.IsMap()) {
    reader.error(node.IsNull() ? list : node,
                 "repo " + std::to_string(index) + " must be a mapping with `name`");
    return std::nullopt;
  }
  RepoConfig repo;
  repo.position = position_of(node);
  const Where where{repo_label(node, index), ""};
  const auto entries = reader.entries(node, kRepoKeys, where);
  reader.require(node, entries, {"name"}, where);
  for (const Entry& entry : entries) read_repo_key(reader, entry, where, repo);
  return repo;
}

}  // namespace

std::vector<RepoConfig> read_repos(ConfigReader& reader, const Entry& entry) {
  std::vector<RepoConfig> repos;
  if (!reader.expect_list(entry, top_level())) return repos;
  FirstSeen seen;
  int index = 0;
  for (const auto& node : entry.value) {
    auto repo = read_repo(reader, node, entry.value, ++index);
    if (!repo) continue;
    const YAML::Node name = value_of(node, "name");
    const auto first =
        repo->name.empty() ? std::optional<int>() : seen.add(lowercase(repo->name), line_of(name));
    if (first) {
      reader.error(name, "duplicate repo '" + repo->name + "' (first at line " + std::to_string(*first) +
                             "; names are compared ignoring case)");
      continue;
    }
    repos.push_back(std::move(*repo));
  }
  return repos;
}

}  // namespace turnout::agent::detail
