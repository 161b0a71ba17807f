#pragma once
// The agent's own configuration, `agent.yml` (README.md, "agent.yml reference"): where it listens,
// where it keeps state, which repositories it builds. Validated like a pipeline: every error at
// once, each as `FILE:LINE:COLUMN: message`. Plain data; `turnout serve` acts on it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/forge.h"
#include "agent/config/secret_ref.h"
#include "pipeline/loader.h"
#include "util/duration.h"

namespace turnout::agent {

/// `listen:` HOST:PORT (an IPv6 host in brackets: `[::1]:8787`).
struct ListenAddress {
  std::string host = "127.0.0.1";  ///< without brackets
  int port = 8787;                 ///< 1..65535

  /// Same host and port (a reload tells a change of address apart).
  bool operator==(const ListenAddress&) const = default;

  /// `127.0.0.1:8787`, `[::1]:8787`.
  std::string to_string() const;
};

/// `tls:` the server's certificate and key, both files (resolved like every path).
struct TlsConfig {
  std::string cert;  ///< PEM certificate (chain)
  std::string key;   ///< PEM private key

  /// Same files.
  bool operator==(const TlsConfig&) const = default;
};

/// `http:` what the agent's HTTP server tolerates (README, "agent.yml reference"): every limit
/// has a default fit for a server on the internet, so most configs leave this out.
struct HttpConfig {
  int threads = 8;                      ///< handler threads: requests handled at once that may block (1..64)
  int max_queued = 256;                 ///< requests waiting for a handler thread; beyond, 503 + Retry-After
  util::Duration header_timeout{5000};  ///< first byte to end of headers (and a TLS handshake)
  util::Duration idle_timeout{10000};   ///< a keep-alive connection with no request is closed after it
  util::Duration send_timeout{30000};   ///< each write of an answer
  int min_body_rate = 16 * 1024;        ///< bytes/s a body must average (after header_timeout's grace)
  int max_connections = 1024;           ///< open connections; beyond, the idlest is closed
  int max_connections_per_peer = 256;   ///< per client address; 0: no cap (behind a proxy)
  int max_live_streams = 64;            ///< followed logs at once; beyond, 503 (poll instead)

  /// Every limit the same.
  bool operator==(const HttpConfig&) const = default;
};

/// `dashboard:` who may read the dashboard's pages (README, "Dashboard").
struct DashboardConfig {
  /// `read: open`: anyone who reaches the agent reads every page without signing in (a private
  /// network); `read: session` (the default): pages need a session too. Writes always need one.
  bool read_open = false;
};

/// `log_format:` how the agent writes its log.
enum class LogFormat { text, json };

/// `text`, `json`.
const char* to_string(LogFormat format);

/// `github:` of a repo: reporting back to GitHub.
struct GithubConfig {
  std::string api_url = "https://api.github.com";  ///< GitHub Enterprise: `https://HOST/api/v3`
  SecretRef token;                                 ///< `token_file` | `token_env`
  bool statuses = true;                            ///< a commit status per stage
  bool deployments = true;                         ///< a deployment for the deploy stage
  std::string environment = "production";          ///< the deployments' environment
};

/// `gitea:`, `forgejo:` or `gitlab:` of a repo (the one its `forge:` names): commit statuses to
/// that forge's API.
struct ForgeApiConfig {
  std::string url;       ///< the forge's own address (`https://git.example.com`); the API's path is added
  SecretRef token;       ///< `token_file` | `token_env`
  bool statuses = true;  ///< a commit status per stage
};

/// One `notify:` item of a repo: a URL told of every finished run, signed like GitHub does.
struct NotifyTarget {
  std::string url;   ///< http(s)
  SecretRef secret;  ///< `secret_file` | `secret_env`; none = unsigned
};

/// One `repos:` item: a repository the agent builds.
struct RepoConfig {
  std::string name;             ///< owner/repo (GitLab: group/.../project); matched ignoring case
  Forge forge = Forge::github;  ///< `forge:` where its webhooks come from
  SecretRef webhook_secret;     ///< its own webhook secret; none: the agent's
  std::string url;              ///< where to fetch; "" = the payload's clone_url
  std::vector<std::string> branches{"main", "master"};  ///< glob patterns of branches that run
  std::string pipeline = ".turnout.yml";                ///< path of the pipeline file in the repository
  std::optional<GithubConfig> github;                   ///< none: nothing reported to GitHub
  std::optional<ForgeApiConfig> forge_api;              ///< `gitea:`/`forgejo:`/`gitlab:`; none: no statuses
  std::vector<NotifyTarget> notify;                     ///< in file order
  std::string ssh_key_file;                             ///< for ssh URLs; "" = none
  SecretRef token;                                      ///< `token_file` | `token_env`: fetch over HTTPS
  pipeline::Position position;                          ///< of the item in agent.yml
};

/// The part of `agent.yml` that the intake, the scheduler and the reporters read: which
/// repositories the agent builds, and where people find a run. Each takes only this.
struct ReposConfig {
  std::string file;               ///< the config file, as given to the loader (named in messages)
  std::string public_url;         ///< for links in statuses; "" = none
  std::vector<RepoConfig> repos;  ///< in file order, names unique ignoring case
};

/// The whole `agent.yml`, defaults filled in; every path absolute (relative ones are resolved
/// against the config file's folder).
struct AgentConfig : ReposConfig {
  ListenAddress listen;                       ///< default 127.0.0.1:8787
  std::string data_dir = "/var/lib/turnout";  ///< store, run logs, mirrors, releases
  int workers = 2;                            ///< 1..64 runs at a time
  /// On SIGTERM, how long running steps may go on before they are cancelled (and queued again).
  util::Duration shutdown_grace = util::Duration(30000);
  SecretRef webhook_secret;                ///< none: `serve` needs --insecure-no-signature
  SecretRef api_token;                     ///< none: the API's writes are refused
  std::optional<TlsConfig> tls;            ///< none: plain HTTP (behind a proxy)
  HttpConfig http;                         ///< the server's limits
  DashboardConfig dashboard;               ///< who reads the pages
  LogFormat log_format = LogFormat::text;  ///< default text
};

/// The outcome of loading: a config when there are no errors, and every error otherwise.
struct AgentConfigResult {
  AgentConfig config;                        ///< valid only when errors is empty
  std::vector<pipeline::Diagnostic> errors;  ///< all of them, in file order

  /// True when the config loaded without errors.
  bool ok() const { return errors.empty(); }
};

/// Parses and validates YAML text; `file` names it in diagnostics, and its folder is where
/// relative paths start. An empty text is a config of defaults.
AgentConfigResult load_agent_config_string(std::string_view text, const std::string& file);

/// Reads and loads a file; an unreadable file is one diagnostic without a position.
AgentConfigResult load_agent_config(const std::string& path);

/// The link to run `id` for people: public_url + "/runs/" + id; "" without a public_url.
std::string run_url(const ReposConfig& config, std::int64_t id);

/// The repo whose name equals `full_name` ignoring case (GitHub's, Gitea's and GitLab's names
/// are), or nullptr.
const RepoConfig* find_repo(const ReposConfig& config, std::string_view full_name);

}  // namespace turnout::agent
