#include "agent/config/agent_config.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "tests/support/temp_dir.h"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using turnout::agent::AgentConfig;
using turnout::agent::AgentConfigResult;
using turnout::agent::find_repo;
using turnout::agent::load_agent_config;
using turnout::agent::load_agent_config_string;
using turnout::agent::LogFormat;
using turnout::agent::SecretRef;

namespace {

const char kFile[] = "/etc/turnout/agent.yml";

AgentConfigResult load(const std::string& yaml) { return load_agent_config_string(yaml, kFile); }

// Every diagnostic on its own line, so a failing check shows what the loader said.
std::string describe(const AgentConfigResult& result) {
  std::string out;
  for (const auto& error : result.errors) out += error.to_string() + "\n";
  return out.empty() ? "(no errors)" : out;
}

// Loading `yaml` gives exactly one error, at line:column, whose message contains `text`.
void check_only_error(const std::string& yaml, int line, int column, const std::string& text) {
  const auto result = load(yaml);
  INFO(yaml << "\n---\n" << describe(result));
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].file == kFile);
  CHECK(result.errors[0].line == line);
  CHECK(result.errors[0].column == column);
  CHECK_THAT(result.errors[0].message, Contains(text));
}

// A config that loads; fails the test with its errors otherwise.
AgentConfig load_ok(const std::string& yaml) {
  const auto result = load(yaml);
  INFO(describe(result));
  REQUIRE(result.ok());
  return result.config;
}

// Every key there is, each set away from its default.
const char kEveryKey[] = R"(listen: "[::1]:9000"
public_url: https://ci.example.com
data_dir: state
workers: 4
shutdown_grace: 2m
webhook_secret_file: secrets/webhook
api_token_env: TURNOUT_API_TOKEN
tls:
  cert: /etc/ssl/turnout.crt
  key: tls/turnout.key
log_format: json
repos:
  - name: acme/cafeteria
    url: git@github.com:acme/cafeteria.git
    branches: [master, release/*]
    pipeline: ci/turnout.yml
    ssh_key_file: /etc/turnout/deploy_key
    github:
      api_url: https://github.example.com/api/v3
      token_file: secrets/github-token
      statuses: true
      deployments: false
      environment: staging
    notify:
      - url: https://chat.example.com/hooks/turnout
        secret_file: secrets/notify
      - url: http://127.0.0.1:9999/runs
        secret_env: NOTIFY_SECRET
      - url: http://127.0.0.1:9998/unsigned
  - name: acme/website
    token_env: FETCH_TOKEN
    github: { token_env: GITHUB_TOKEN }
  - name: acme/docs
    token_file: /etc/turnout/fetch-token
)";

// DESIGN.md, "The agent config", as written there.
const char kDesignExample[] = R"(listen: 127.0.0.1:8787
public_url: https://ci.example.com       # for links in statuses
data_dir: /var/lib/turnout               # SQLite store, run logs, mirrors, releases
workers: 2
webhook_secret_file: /etc/turnout/webhook-secret   # or webhook_secret_env: TURNOUT_WEBHOOK_SECRET
api_token_file: /etc/turnout/api-token              # rerun/cancel/rollback need it
repos:
  - name: acme/cafeteria                 # matched against the payload's repository.full_name
    url: git@github.com:acme/cafeteria.git   # where to fetch from (default: the payload's clone_url)
    branches: [master]
    pipeline: .turnout.yml
    github: { token_env: GITHUB_TOKEN, statuses: true, deployments: true }
)";

}  // namespace

TEST_CASE("agent config: every key is read", "[unit][config]") {
  const AgentConfig config = load_ok(kEveryKey);
  CHECK(config.file == kFile);
  CHECK(config.listen.host == "::1");
  CHECK(config.listen.port == 9000);
  CHECK(config.listen.to_string() == "[::1]:9000");
  CHECK(config.public_url == "https://ci.example.com");
  CHECK(config.data_dir == "/etc/turnout/state");
  CHECK(config.workers == 4);
  CHECK(config.shutdown_grace == std::chrono::minutes(2));
  CHECK(config.webhook_secret.source == SecretRef::Source::file);
  CHECK(config.webhook_secret.name == "/etc/turnout/secrets/webhook");
  CHECK(config.webhook_secret.key == "webhook_secret_file");
  CHECK(config.api_token.source == SecretRef::Source::env);
  CHECK(config.api_token.name == "TURNOUT_API_TOKEN");
  REQUIRE(config.tls.has_value());
  CHECK(config.tls->cert == "/etc/ssl/turnout.crt");
  CHECK(config.tls->key == "/etc/turnout/tls/turnout.key");
  CHECK(config.log_format == LogFormat::json);
  REQUIRE(config.repos.size() == 3);

  const auto& cafeteria = config.repos[0];
  CHECK(cafeteria.name == "acme/cafeteria");
  CHECK(cafeteria.url == "git@github.com:acme/cafeteria.git");
  CHECK(cafeteria.branches == std::vector<std::string>{"master", "release/*"});
  CHECK(cafeteria.pipeline == "ci/turnout.yml");
  CHECK(cafeteria.ssh_key_file == "/etc/turnout/deploy_key");
  CHECK_FALSE(cafeteria.token.configured());
  CHECK(cafeteria.position.line == 13);
  CHECK(cafeteria.position.column == 5);
  REQUIRE(cafeteria.github.has_value());
  CHECK(cafeteria.github->api_url == "https://github.example.com/api/v3");
  CHECK(cafeteria.github->token.source == SecretRef::Source::file);
  CHECK(cafeteria.github->token.name == "/etc/turnout/secrets/github-token");
  CHECK(cafeteria.github->statuses);
  CHECK_FALSE(cafeteria.github->deployments);
  CHECK(cafeteria.github->environment == "staging");
  REQUIRE(cafeteria.notify.size() == 3);
  CHECK(cafeteria.notify[0].url == "https://chat.example.com/hooks/turnout");
  CHECK(cafeteria.notify[0].secret.source == SecretRef::Source::file);
  CHECK(cafeteria.notify[0].secret.name == "/etc/turnout/secrets/notify");
  CHECK(cafeteria.notify[1].secret.source == SecretRef::Source::env);
  CHECK(cafeteria.notify[1].secret.name == "NOTIFY_SECRET");
  CHECK_FALSE(cafeteria.notify[2].secret.configured());

  const auto& website = config.repos[1];
  CHECK(website.token.source == SecretRef::Source::env);
  CHECK(website.token.name == "FETCH_TOKEN");
  REQUIRE(website.github.has_value());
  CHECK(website.github->token.name == "GITHUB_TOKEN");
  CHECK(website.github->api_url == "https://api.github.com");
  CHECK(config.repos[2].token.source == SecretRef::Source::file);
  CHECK(config.repos[2].token.name == "/etc/turnout/fetch-token");
}

TEST_CASE("agent config: DESIGN.md's example loads", "[unit][config]") {
  const AgentConfig config = load_ok(kDesignExample);
  CHECK(config.listen.to_string() == "127.0.0.1:8787");
  CHECK(config.webhook_secret.name == "/etc/turnout/webhook-secret");
  CHECK(config.api_token.name == "/etc/turnout/api-token");
  REQUIRE(config.repos.size() == 1);
  CHECK(config.repos[0].branches == std::vector<std::string>{"master"});
  REQUIRE(config.repos[0].github.has_value());
  CHECK(config.repos[0].github->deployments);
}

TEST_CASE("agent config: defaults", "[unit][config]") {
  SECTION("an empty file is all defaults") {
    for (const std::string text : {"", "# nothing yet\n", "---\n"}) {
      const AgentConfig config = load_ok(text);
      CHECK(config.listen.host == "127.0.0.1");
      CHECK(config.listen.port == 8787);
      CHECK(config.public_url.empty());
      CHECK(config.data_dir == "/var/lib/turnout");
      CHECK(config.workers == 2);
      CHECK_FALSE(config.webhook_secret.configured());
      CHECK_FALSE(config.api_token.configured());
      CHECK_FALSE(config.tls.has_value());
      CHECK(config.log_format == LogFormat::text);
      CHECK(config.repos.empty());
    }
  }
  SECTION("a repo with only its name") {
    const AgentConfig config = load_ok("repos:\n  - name: acme/cafeteria\n");
    REQUIRE(config.repos.size() == 1);
    const auto& repo = config.repos[0];
    CHECK(repo.url.empty());
    CHECK(repo.branches == std::vector<std::string>{"main", "master"});
    CHECK(repo.pipeline == ".turnout.yml");
    CHECK_FALSE(repo.github.has_value());
    CHECK(repo.notify.empty());
    CHECK(repo.ssh_key_file.empty());
    CHECK_FALSE(repo.token.configured());
  }
  SECTION("github: with only a token reports statuses and deployments to api.github.com") {
    const AgentConfig config = load_ok("repos:\n  - name: a/b\n    github: {token_env: GITHUB_TOKEN}\n");
    const auto& github = config.repos[0].github;
    REQUIRE(github.has_value());
    CHECK(github->api_url == "https://api.github.com");
    CHECK(github->statuses);
    CHECK(github->deployments);
    CHECK(github->environment == "production");
  }
  SECTION("no webhook secret still loads: serve decides") {
    CHECK_FALSE(load_ok("workers: 3\n").webhook_secret.configured());
  }
}

TEST_CASE("agent config: relative paths start at the config file's folder", "[unit][config]") {
  turnout::test::TempDir dir;
  const auto file = dir.write("conf/agent.yml", "data_dir: ../state\nwebhook_secret_file: ./secret\n");
  const auto result = load_agent_config(file.string());
  INFO(describe(result));
  REQUIRE(result.ok());
  CHECK(result.config.data_dir == (dir.path() / "state").string());
  CHECK(result.config.webhook_secret.name == (dir.path() / "conf" / "secret").string());
  CHECK(result.config.file == file.string());
}

TEST_CASE("agent config: an unreadable file is one error without a position", "[unit][config]") {
  turnout::test::TempDir dir;
  const auto result = load_agent_config((dir / "missing.yml").string());
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].line == 0);
  CHECK_THAT(result.errors[0].to_string(), Equals((dir / "missing.yml").string() +
                                                  ": cannot read agent config: No such file or directory"));
}

TEST_CASE("agent config: unknown and repeated keys", "[unit][config]") {
  check_only_error("worker: 2\n", 1, 1, "unknown key 'worker' in the agent config (did you mean 'workers'?)");
  check_only_error("workers: 2\nworkers: 3\n", 2, 1,
                   "duplicate key 'workers' in the agent config (first at line 1)");
  check_only_error("webhook_secret: hunter2\n", 1, 1, "unknown key 'webhook_secret' in the agent config");
  check_only_error("repos:\n  - name: a/b\n    branch: [main]\n", 3, 5,
                   "unknown key 'branch' in repo 'a/b' (did you mean 'branches'?)");
  check_only_error("repos:\n  - name: a/b\n    github: {token_env: T, status: false}\n", 3, 28,
                   "unknown key 'status' in `github` of repo 'a/b' (did you mean 'statuses'?)");
  check_only_error("repos:\n  - name: a/b\n    notify:\n      - url: http://x\n        secret: s\n", 5, 9,
                   "unknown key 'secret' in notify 1 of repo 'a/b'");
  check_only_error("tls: {cert: a, key: b, chain: c}\n", 1, 24, "unknown key 'chain' in `tls`");
}

TEST_CASE("agent config: listen", "[unit][config]") {
  check_only_error("listen: 8787\n", 1, 9,
                   "`listen` must be HOST:PORT, like 127.0.0.1:8787 or [::1]:8787 (got '8787')");
  check_only_error("listen: \":8787\"\n", 1, 9, "`listen` must be HOST:PORT");
  check_only_error("listen: \"::1:8787\"\n", 1, 9, "`listen` must be HOST:PORT");
  check_only_error("listen: localhost:http\n", 1, 9, "`listen` must be HOST:PORT");
  check_only_error("listen: 127.0.0.1:0\n", 1, 9, "`listen` port 0 out of range 1..65535");
  check_only_error("listen: 127.0.0.1:65536\n", 1, 9, "`listen` port 65536 out of range 1..65535");
  check_only_error("listen: 127.0.0.1:99999999999999999999\n", 1, 9, "out of range 1..65535");
  CHECK(load_ok("listen: 0.0.0.0:80\n").listen.to_string() == "0.0.0.0:80");
  CHECK(load_ok("listen: localhost:65535\n").listen.host == "localhost");
}

TEST_CASE("agent config: numbers, enums and URLs", "[unit][config]") {
  check_only_error("workers: 0\n", 1, 10, "`workers` 0 out of range 1..64");
  check_only_error("workers: 65\n", 1, 10, "`workers` 65 out of range 1..64");
  check_only_error("workers: two\n", 1, 10, "`workers` must be a whole number (got 'two')");
  CHECK(load_ok("workers: 3\n").shutdown_grace == std::chrono::seconds(30));
  CHECK(load_ok("shutdown_grace: 0s\n").shutdown_grace == std::chrono::seconds(0));
  check_only_error("log_format: xml\n", 1, 13, "unknown log_format 'xml' (expected text, json)");
  check_only_error("public_url: ftp://ci.example.com\n", 1, 13,
                   "`public_url` must be an http:// or https:// URL (got 'ftp://ci.example.com')");
  check_only_error("public_url: https://\n", 1, 13, "`public_url` must be an http:// or https:// URL");
  check_only_error("data_dir:\n", 1, 1, "`data_dir` must be a string");
  check_only_error("data_dir: ~/turnout\n", 1, 11,
                   "`data_dir` must not start with '~': no shell expands it here");
  check_only_error("repos:\n  - name: a/b\n    github: {token_env: T, api_url: github.com}\n", 3, 37,
                   "`github` of repo 'a/b': `api_url` must be an http:// or https:// URL (got 'github.com')");
  check_only_error("repos:\n  - name: a/b\n    github: {token_env: T, statuses: maybe}\n", 3, 38,
                   "`statuses` must be true or false (got 'maybe')");
}

TEST_CASE("agent config: secrets are named, never given", "[unit][config]") {
  check_only_error("webhook_secret_file: /a\nwebhook_secret_env: B\n", 2, 1,
                   "give either `webhook_secret_file` or `webhook_secret_env`, not both");
  check_only_error("api_token_env: A\napi_token_file: /b\n", 2, 1,
                   "give either `api_token_env` or `api_token_file`, not both");
  check_only_error(
      "api_token_env: my token\n", 1, 16,
      "`api_token_env` must be an environment variable name, like GITHUB_TOKEN (got 'my token')");
  check_only_error("webhook_secret_env: 1ABC\n", 1, 21, "must be an environment variable name");
  check_only_error("repos:\n  - name: a/b\n    token_file: /t\n    token_env: T\n", 4, 5,
                   "repo 'a/b': give either `token_file` or `token_env`, not both");
  SECTION("a URL with a password is refused without repeating it") {
    const auto result = load("repos:\n  - name: a/b\n    url: https://bot:s3cr3t@github.com/a/b.git\n");
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].line == 3);
    CHECK(result.errors[0].column == 10);
    CHECK_THAT(result.errors[0].message,
               Contains("`url` must not hold a password: use `token_file` or `token_env`"));
    CHECK_THAT(result.errors[0].message, !Contains("s3cr3t"));
    const auto notify =
        load("repos:\n  - name: a/b\n    notify: [{url: 'https://u:s3cr3t@hooks.example.com/x'}]\n");
    REQUIRE(notify.errors.size() == 1);
    CHECK_THAT(notify.errors[0].message, Contains("`url` must not hold a password"));
    CHECK_THAT(notify.errors[0].message, !Contains("s3cr3t"));
  }
  SECTION("a user name alone is not a secret") {
    CHECK(load_ok("repos:\n  - name: a/b\n    url: https://git@example.com/a/b.git\n").repos[0].url ==
          "https://git@example.com/a/b.git");
  }
  SECTION("reporting to GitHub needs a token") {
    check_only_error(
        "repos:\n  - name: a/b\n    github: {statuses: true}\n", 3, 13,
        "`github` of repo 'a/b': reporting statuses or deployments needs `token_file` or `token_env`");
    CHECK_FALSE(load_ok("repos:\n  - name: a/b\n    github: {statuses: false, deployments: false}\n")
                    .repos[0]
                    .github->token.configured());
  }
}

TEST_CASE("agent config: tls needs both cert and key", "[unit][config]") {
  check_only_error("tls:\n  cert: /a.crt\n", 2, 3, "`tls` is missing 'key'");
  check_only_error("tls: {key: /a.key}\n", 1, 6, "`tls` is missing 'cert'");
  check_only_error("tls: /a.crt\n", 1, 6, "`tls` must be a mapping");
  check_only_error("tls: {cert: /a.crt, kye: /a.key}\n", 1, 21,
                   "unknown key 'kye' in `tls` (did you mean 'key'?)");
}

TEST_CASE("agent config: repos", "[unit][config]") {
  check_only_error("repos: acme/cafeteria\n", 1, 8, "`repos` must be a list");
  check_only_error("repos:\n  - acme/cafeteria\n", 2, 5, "repo 1 must be a mapping with `name`");
  check_only_error("repos:\n  - url: git@github.com:a/b.git\n", 2, 5, "repo 1 is missing 'name'");
  check_only_error("repos:\n  - name: cafeteria\n", 2, 11,
                   "repo 'cafeteria': `name` must be owner/repo, as on GitHub (got 'cafeteria')");
  check_only_error("repos:\n  - name: a/b/c\n", 2, 11, "`name` must be owner/repo");
  check_only_error("repos:\n  - name: a/b\n    branches: []\n", 3, 15, "`branches` must not be empty");
  check_only_error("repos:\n  - name: a/b\n    branches: main\n", 3, 15, "`branches` must be a list");
  check_only_error("repos:\n  - name: a/b\n    pipeline: ../x.yml\n", 3, 15,
                   "`pipeline` must be a path inside the repository (got '../x.yml')");
  check_only_error("repos:\n  - name: a/b\n    pipeline: /etc/passwd\n", 3, 15,
                   "`pipeline` must be a path inside the repository");
  check_only_error("repos:\n  - name: a/b\n    notify: [{secret_file: /s}]\n", 3, 14,
                   "repo 'a/b': notify 1 is missing 'url'");
  check_only_error("repos:\n  - name: a/b\n    notify: {url: http://x}\n", 3, 13, "`notify` must be a list");
}

TEST_CASE("agent config: repo names are unique ignoring case", "[unit][config]") {
  check_only_error("repos:\n  - name: Acme/Cafeteria\n  - name: acme/cafeteria\n", 3, 11,
                   "duplicate repo 'acme/cafeteria' (first at line 2; names are compared ignoring case)");
}

TEST_CASE("agent config: every error is reported at once, in file order", "[unit][config]") {
  const auto result = load(R"(listen: nowhere
workers: 100
log_fromat: json
repos:
  - name: a/b
    branches: []
  - name: a/b
)");
  INFO(describe(result));
  REQUIRE(result.errors.size() == 5);
  CHECK(result.errors[0].to_string() ==
        std::string(kFile) +
            ":1:9: `listen` must be HOST:PORT, like 127.0.0.1:8787 or [::1]:8787 (got 'nowhere')");
  CHECK(result.errors[1].to_string() == std::string(kFile) + ":2:10: `workers` 100 out of range 1..64");
  CHECK(result.errors[2].to_string() ==
        std::string(kFile) +
            ":3:1: unknown key 'log_fromat' in the agent config (did you mean 'log_format'?)");
  CHECK(result.errors[3].line == 6);
  CHECK(result.errors[4].line == 7);
}

TEST_CASE("agent config: YAML that is not a mapping of settings", "[unit][config]") {
  check_only_error("workers: [1\n", 2, 1, "YAML syntax error");
  check_only_error("repos:\n  - name: a/b\n\t  branches: [main]\n", 3, 1,
                   "YAML indents with spaces; found a tab");
  check_only_error("- listen: 127.0.0.1:8787\n", 1, 1,
                   "the top level must be a mapping of settings (found a list)");
  check_only_error("workers: 2\n---\nworkers: 3\n", 3, 1,
                   "the agent config must hold one YAML document (found 2)");
}

TEST_CASE("find_repo matches names ignoring case", "[unit][config]") {
  const AgentConfig config = load_ok("repos:\n  - name: Acme/Cafeteria\n  - name: acme/website\n");
  REQUIRE(find_repo(config, "acme/cafeteria") != nullptr);
  CHECK(find_repo(config, "acme/cafeteria")->name == "Acme/Cafeteria");
  CHECK(find_repo(config, "ACME/WEBSITE") == &config.repos[1]);
  CHECK(find_repo(config, "acme/cafeteria2") == nullptr);
  CHECK(find_repo(config, "") == nullptr);
}

TEST_CASE("agent config: http limits", "[unit][config]") {
  const auto defaults = load_ok("workers: 1\n").http;
  CHECK(defaults.threads == 8);
  CHECK(defaults.header_timeout == std::chrono::seconds(5));
  CHECK(defaults.max_connections == 1024);
  const auto given = load_ok(
                         "http:\n  threads: 12\n  max_queued: 0\n  header_timeout: 2s\n  idle_timeout: 1m\n"
                         "  send_timeout: 500ms\n  min_body_rate: 100\n  max_connections: 50\n"
                         "  max_connections_per_peer: 0\n  max_live_streams: 3\n")
                         .http;
  CHECK(given.threads == 12);
  CHECK(given.max_queued == 0);
  CHECK(given.header_timeout == std::chrono::seconds(2));
  CHECK(given.idle_timeout == std::chrono::minutes(1));
  CHECK(given.send_timeout == std::chrono::milliseconds(500));
  CHECK(given.min_body_rate == 100);
  CHECK(given.max_connections == 50);
  CHECK(given.max_connections_per_peer == 0);
  CHECK(given.max_live_streams == 3);
  check_only_error("http:\n  threads: 0\n", 2, 12, "`threads` 0 out of range 1..64");
  check_only_error("http:\n  header_timeout: 0s\n", 2, 19, "`header_timeout` must be longer than 0");
  check_only_error("http:\n  max_conections: 9\n", 2, 3,
                   "unknown key 'max_conections' in `http` (did you mean 'max_connections'?)");
  check_only_error("http: fast\n", 1, 7, "`http` must be a mapping");
}

TEST_CASE("agent config: a repo's forge, its secret and its statuses", "[unit][config]") {
  const auto config = load_ok(
      "repos:\n"
      "  - name: acme/api\n"
      "  - name: acme/site\n"
      "    forge: gitea\n"
      "    webhook_secret_file: gitea-secret\n"
      "    gitea: {url: https://git.example.com/, token_env: GITEA_TOKEN}\n"
      "  - name: acme/tools\n"
      "    forge: forgejo\n"
      "    forgejo: {url: https://code.example.com, token_file: /etc/turnout/forgejo-token, statuses: "
      "false}\n"
      "  - name: group/subgroup/project\n"
      "    forge: gitlab\n"
      "    webhook_secret_env: GITLAB_HOOK_TOKEN\n"
      "    gitlab: {url: https://gitlab.example.com, token_env: GITLAB_TOKEN}\n");
  REQUIRE(config.repos.size() == 4);
  CHECK(config.repos[0].forge == turnout::agent::Forge::github);
  CHECK_FALSE(config.repos[0].webhook_secret.configured());
  CHECK_FALSE(config.repos[0].forge_api.has_value());
  const auto& site = config.repos[1];
  CHECK(site.forge == turnout::agent::Forge::gitea);
  CHECK(site.webhook_secret.source == SecretRef::Source::file);
  CHECK(site.webhook_secret.name == "/etc/turnout/gitea-secret");
  REQUIRE(site.forge_api.has_value());
  CHECK(site.forge_api->url == "https://git.example.com/");
  CHECK(site.forge_api->token.name == "GITEA_TOKEN");
  CHECK(site.forge_api->statuses);
  CHECK(config.repos[2].forge == turnout::agent::Forge::forgejo);
  REQUIRE(config.repos[2].forge_api.has_value());
  CHECK_FALSE(config.repos[2].forge_api->statuses);
  const auto& project = config.repos[3];
  CHECK(project.forge == turnout::agent::Forge::gitlab);
  CHECK(project.name == "group/subgroup/project");
  CHECK(project.webhook_secret.name == "GITLAB_HOOK_TOKEN");
  CHECK(find_repo(config, "GROUP/subgroup/Project") == &project);
}

TEST_CASE("agent config: a forge that does not exist is named, with the nearest", "[unit][config]") {
  check_only_error(
      "repos:\n  - name: a/b\n    forge: gitae\n", 3, 12,
      "repo 'a/b': unknown forge 'gitae' (did you mean 'gitea'?); expected one of github, gitea, "
      "forgejo, gitlab");
  check_only_error("repos:\n  - name: a/b\n    forge: bitbucket\n", 3, 12,
                   "unknown forge 'bitbucket'; expected one of github, gitea, forgejo, gitlab");
  check_only_error("repos:\n  - name: a/b\n    forje: forgejo\n", 3, 5,
                   "unknown key 'forje' in repo 'a/b' (did you mean 'forge'?)");
}

TEST_CASE("agent config: a forge's block must be the repo's forge's", "[unit][config]") {
  check_only_error(
      "repos:\n  - name: a/b\n    gitlab: {url: https://gitlab.example.com, token_env: T}\n", 3, 5,
      "repo 'a/b': `gitlab` reports to GitLab, but the repository's forge is github (use `github`, "
      "or set `forge: gitlab`)");
  check_only_error("repos:\n  - name: a/b\n    forge: gitea\n    github: {token_env: T}\n", 4, 5,
                   "`github` reports to GitHub, but the repository's forge is gitea");
  check_only_error("repos:\n  - name: a/b\n    forge: gitea\n    gitea: {token_env: T}\n", 4, 12,
                   "is missing 'url'");
  check_only_error("repos:\n  - name: a/b\n    forge: gitea\n    gitea: {url: https://git.example.com}\n", 4,
                   12, "reporting statuses needs `token_file` or `token_env` (or set statuses: false)");
  check_only_error(
      "repos:\n  - name: a/b\n    forge: gitea\n    gitea: {url: https://git.example.com, token_env: T, "
      "token: x}\n",
      4, 57, "unknown key 'token' in `gitea` of repo 'a/b'");
}

TEST_CASE("agent config: only GitLab's names nest groups", "[unit][config]") {
  check_only_error("repos:\n  - name: a/b/c\n    forge: gitea\n", 2, 11,
                   "`name` must be owner/repo, as on Gitea (got 'a/b/c')");
  check_only_error("repos:\n  - name: group\n    forge: gitlab\n", 2, 11,
                   "`name` must be group/project (or group/subgroup/project), as on GitLab (got 'group')");
  check_only_error("repos:\n  - name: a//b\n    forge: gitlab\n", 2, 11, "`name` must be group/project");
  check_only_error("repos:\n  - name: a/b\n    webhook_secret_file: s\n    webhook_secret_env: S\n", 4, 5,
                   "give either `webhook_secret_file` or `webhook_secret_env`, not both");
}

TEST_CASE("agent config: dashboard read is session or open, told where", "[unit][config][dashboard]") {
  CHECK_FALSE(load("workers: 1\n").config.dashboard.read_open);
  CHECK(load("dashboard: { read: open }\n").config.dashboard.read_open);
  CHECK_FALSE(load("dashboard:\n  read: session\n").config.dashboard.read_open);
  check_only_error("dashboard:\n  read: everyone\n", 2, 9,
                   "unknown dashboard read 'everyone' (expected session, open)");
  check_only_error("dashboard: { reed: open }\n", 1, 14,
                   "unknown key 'reed' in `dashboard` (did you mean 'read'?)");
  check_only_error("dashboard: open\n", 1, 12, "dashboard");
}
