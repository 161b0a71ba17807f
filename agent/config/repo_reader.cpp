#include "agent/config/repo_reader.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "util/strings.h"

namespace turnout::agent::detail {

namespace {

using pipeline::detail::FirstSeen;
using pipeline::detail::line_of;
using pipeline::detail::position_of;

const std::vector<std::string> kRepoKeys = {"name",
                                            "url",
                                            "forge",
                                            "branches",
                                            "pipeline",
                                            "github",
                                            "gitea",
                                            "forgejo",
                                            "gitlab",
                                            "notify",
                                            "ssh_key_file",
                                            "token_file",
                                            "token_env",
                                            "webhook_secret_file",
                                            "webhook_secret_env"};
const std::vector<std::string> kGithubKeys = {"api_url",  "token_file",  "token_env",
                                              "statuses", "deployments", "environment"};
const std::vector<std::string> kForgeApiKeys = {"url", "token_file", "token_env", "statuses"};
const std::vector<std::string> kNotifyKeys = {"url", "secret_file", "secret_env"};

// The segments of a repository's name, split at `/`; each non-empty and of letters, digits,
// `-`, `_` and `.` (GitHub's, Gitea's and GitLab's names); none when one is not.
std::vector<std::string_view> name_segments(std::string_view name) {
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  };
  std::vector<std::string_view> segments;
  for (std::size_t start = 0;;) {
    const auto slash = name.find('/', start);
    const auto segment = name.substr(start, slash == std::string_view::npos ? name.npos : slash - start);
    if (segment.empty() || !std::all_of(segment.begin(), segment.end(), allowed)) return {};
    segments.push_back(segment);
    if (slash == std::string_view::npos) return segments;
    start = slash + 1;
  }
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

std::optional<ForgeApiConfig> read_forge_api(ConfigReader& reader, const Entry& entry, const Where& repo) {
  if (!reader.expect_map(entry, repo)) return std::nullopt;
  const Where where{"`" + entry.key + "`", repo.part};
  const auto entries = reader.entries(entry.value, kForgeApiKeys, where);
  reader.require(entry.value, entries, {"url"}, where);
  ForgeApiConfig api;
  for (const Entry& key : entries) {
    if (key.key == "url") api.url = reader.http_url(key, where).value_or("");
    if (key.key == "statuses") api.statuses = reader.boolean(key, where).value_or(api.statuses);
    if (key.key == "token_file" || key.key == "token_env") reader.secret(key, where, api.token);
  }
  if (api.statuses && !api.token.configured() && !reader.was_misspelt(entry.value, "token_file") &&
      !reader.was_misspelt(entry.value, "token_env")) {
    reader.error(
        entry.value,
        where.prefix() + "reporting statuses needs `token_file` or `token_env` (or set statuses: false)");
  }
  if (api.url.empty()) return std::nullopt;
  return api;
}

// `github:`, `gitea:`, `forgejo:` and `gitlab:` report to that forge: only the repository's own
// forge is one it can report to.
void check_forge_blocks(ConfigReader& reader, const std::vector<Entry>& entries, const Where& where,
                        const RepoConfig& repo) {
  for (const Entry& entry : entries) {
    const auto forge = parse_forge(entry.key);
    if (!forge || *forge == repo.forge) continue;
    reader.error(entry.key_node, where.prefix() + "`" + entry.key + "` reports to " + display_name(*forge) +
                                     ", but the repository's forge is " + to_string(repo.forge) + " (use `" +
                                     to_string(repo.forge) + "`, or set `forge: " + entry.key + "`)");
  }
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

// The name's shape depends on the forge (GitLab nests groups: group/subgroup/project), which
// may come later in the item: checked by check_name once every key is read.
void read_name(ConfigReader& reader, const Entry& entry, const Where& where, RepoConfig& out) {
  if (const auto name = reader.text(entry, where)) out.name = *name;
}

void check_name(ConfigReader& reader, const YAML::Node& node, const Where& where, RepoConfig& repo) {
  if (repo.name.empty()) return;
  const auto segments = name_segments(repo.name);
  const bool nested = repo.forge == Forge::gitlab;
  if (segments.size() == 2 || (nested && segments.size() > 2)) return;
  const std::string shape = nested ? "group/project (or group/subgroup/project), as on GitLab"
                                   : std::string("owner/repo, as on ") + display_name(repo.forge);
  reader.error(value_of(node, "name"),
               where.prefix() + "`name` must be " + shape + " (got '" + repo.name + "')");
  repo.name.clear();
}

void read_forge(ConfigReader& reader, const Entry& entry, const Where& where, RepoConfig& out) {
  const auto name = reader.text(entry, where);
  if (!name) return;
  if (const auto forge = parse_forge(*name)) {
    out.forge = *forge;
    return;
  }
  reader.error(entry.value, where.prefix() + "unknown forge '" + *name + "'" +
                                util::did_you_mean(*name, forge_names()) + "; expected one of " +
                                util::join(forge_names(), ", "));
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
  } else if (entry.key == "forge") {
    read_forge(reader, entry, where, out);
  } else if (entry.key == "github") {
    out.github = read_github(reader, entry, where);
  } else if (entry.key == "gitea" || entry.key == "forgejo" || entry.key == "gitlab") {
    out.forge_api = read_forge_api(reader, entry, where);
  } else if (entry.key == "webhook_secret_file" || entry.key == "webhook_secret_env") {
    reader.secret(entry, where, out.webhook_secret);
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
  check_forge_blocks(reader, entries, where, repo);
  if (repo.forge != Forge::github) repo.github.reset();
  check_name(reader, node, where, repo);
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
        repo->name.empty() ? std::optional<int>() : seen.add(util::ascii_lower(repo->name), line_of(name));
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
