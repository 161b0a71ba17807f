#include "agent/config/agent_config.h"
#include "util/read_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <utility>

#include "agent/config/config_reader.h"
#include "agent/config/repo_reader.h"
#include "pipeline/yaml_document.h"

namespace turnout::agent {

namespace {

using detail::ConfigReader;
using detail::Entry;
using detail::Where;

const std::vector<std::string> kTopKeys = {"listen",
                                           "public_url",
                                           "data_dir",
                                           "workers",
                                           "shutdown_grace",
                                           "webhook_secret_file",
                                           "webhook_secret_env",
                                           "api_token_file",
                                           "api_token_env",
                                           "tls",
                                           "http",
                                           "log_format",
                                           "dashboard",
                                           "repos"};

const char kListenHint[] = "`listen` must be HOST:PORT, like 127.0.0.1:8787 or [::1]:8787";

std::optional<ListenAddress> parse_listen(ConfigReader& reader, const Entry& entry) {
  const auto text = reader.text(entry, Where{});
  if (!text) return std::nullopt;
  const auto colon = text->rfind(':');
  std::string host = colon == std::string::npos ? std::string() : text->substr(0, colon);
  const std::string port = colon == std::string::npos ? std::string() : text->substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const bool bad_host = host.empty() || host.find_first_of(" \t/[]") != std::string::npos ||
                        (host.find(':') != std::string::npos && (*text)[0] != '[');
  int number = 0;
  const auto [end, code] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (bad_host || port.empty() || end != port.data() + port.size() ||
      (code != std::errc() && code != std::errc::result_out_of_range)) {
    reader.error(ConfigReader::value_mark(entry), std::string(kListenHint) + " (got '" + *text + "')");
    return std::nullopt;
  }
  if (code != std::errc() || number < 1 || number > 65535) {
    reader.error(ConfigReader::value_mark(entry), "`listen` port " + port + " out of range 1..65535");
    return std::nullopt;
  }
  return ListenAddress{host, number};
}

void read_log_format(ConfigReader& reader, const Entry& entry, AgentConfig& config) {
  const auto text = reader.text(entry, Where{});
  if (!text) return;
  for (const auto format : {LogFormat::text, LogFormat::json}) {
    if (*text == to_string(format)) {
      config.log_format = format;
      return;
    }
  }
  reader.error(entry.value, "unknown log_format '" + *text + "' (expected text, json)");
}

std::optional<TlsConfig> read_tls(ConfigReader& reader, const Entry& entry) {
  if (!reader.expect_map(entry, detail::top_level())) return std::nullopt;
  const Where where{"`tls`", ""};
  const auto entries = reader.entries(entry.value, {"cert", "key"}, where);
  // Half a TLS setup is a mistake, not a request for plain HTTP.
  reader.require(entry.value, entries, {"cert", "key"}, where);
  TlsConfig tls;
  for (const Entry& key : entries) {
    auto path = reader.path(key, where);
    if (!path) return std::nullopt;
    (key.key == "cert" ? tls.cert : tls.key) = std::move(*path);
  }
  if (tls.cert.empty() || tls.key.empty()) return std::nullopt;
  return tls;
}

// `http:` each limit within the range that still lets the server serve.
void read_http(ConfigReader& reader, const Entry& entry, HttpConfig& http) {
  if (!reader.expect_map(entry, detail::top_level())) return;
  const Where where{"`http`", ""};
  const std::vector<std::string> keys{
      "threads",       "max_queued",      "header_timeout",           "idle_timeout",    "send_timeout",
      "min_body_rate", "max_connections", "max_connections_per_peer", "max_live_streams"};
  for (const Entry& key : reader.entries(entry.value, keys, where)) {
    const auto number = [&](int& out, int min, int max) {
      out = reader.integer(key, where, min, max).value_or(out);
    };
    const auto timeout = [&](util::Duration& out) {
      out = reader.positive_duration(key, where).value_or(out);
    };
    if (key.key == "threads") number(http.threads, 1, 64);
    if (key.key == "max_queued") number(http.max_queued, 0, 100000);
    if (key.key == "header_timeout") timeout(http.header_timeout);
    if (key.key == "idle_timeout") timeout(http.idle_timeout);
    if (key.key == "send_timeout") timeout(http.send_timeout);
    if (key.key == "min_body_rate") number(http.min_body_rate, 1, 1 << 30);
    if (key.key == "max_connections") number(http.max_connections, 1, 1000000);
    if (key.key == "max_connections_per_peer") number(http.max_connections_per_peer, 0, 1000000);
    if (key.key == "max_live_streams") number(http.max_live_streams, 0, 100000);
  }
}

// `dashboard:` `read: open | session`.
void read_dashboard(ConfigReader& reader, const Entry& entry, DashboardConfig& dashboard) {
  if (!reader.expect_map(entry, detail::top_level())) return;
  const Where where{"`dashboard`", ""};
  for (const Entry& key : reader.entries(entry.value, {"read"}, where)) {
    const auto text = reader.text(key, where);
    if (!text) continue;
    if (*text == "open" || *text == "session") {
      dashboard.read_open = *text == "open";
    } else {
      reader.error(key.value, "unknown dashboard read '" + *text + "' (expected session, open)");
    }
  }
}

void read_top_key(ConfigReader& reader, const Entry& entry, AgentConfig& config) {
  const Where where = detail::top_level();
  if (entry.key == "listen") {
    if (auto listen = parse_listen(reader, entry)) config.listen = std::move(*listen);
  } else if (entry.key == "public_url") {
    config.public_url = reader.http_url(entry, where).value_or("");
  } else if (entry.key == "data_dir") {
    config.data_dir = reader.path(entry, where).value_or(config.data_dir);
  } else if (entry.key == "workers") {
    config.workers = reader.integer(entry, where, 1, 64).value_or(config.workers);
  } else if (entry.key == "shutdown_grace") {
    config.shutdown_grace = reader.duration(entry, where).value_or(config.shutdown_grace);
  } else if (entry.key == "webhook_secret_file" || entry.key == "webhook_secret_env") {
    reader.secret(entry, where, config.webhook_secret);
  } else if (entry.key == "api_token_file" || entry.key == "api_token_env") {
    reader.secret(entry, where, config.api_token);
  } else if (entry.key == "tls") {
    config.tls = read_tls(reader, entry);
  } else if (entry.key == "http") {
    read_http(reader, entry, config.http);
  } else if (entry.key == "log_format") {
    read_log_format(reader, entry, config);
  } else if (entry.key == "dashboard") {
    read_dashboard(reader, entry, config.dashboard);
  } else if (entry.key == "repos") {
    config.repos = detail::read_repos(reader, entry);
  }
}

const char* kind_name(const YAML::Node& node) {
  if (node.IsSequence()) return "a list";
  if (node.IsScalar()) return "a single value";
  return "nothing";
}

// The one document of the file; nullopt when it is empty (all defaults) or after reporting why
// there is none to read.
std::optional<YAML::Node> parse(std::string_view text, ConfigReader& reader) {
  const auto loaded = pipeline::detail::load_documents(text, reader);
  if (!loaded) return std::nullopt;
  const auto& documents = *loaded;
  if (documents.empty() || documents[0].IsNull()) return std::nullopt;
  if (documents.size() > 1) {
    reader.error(documents[1], "the agent config must hold one YAML document (found " +
                                   std::to_string(documents.size()) + ")");
  }
  if (!documents[0].IsMap()) {
    reader.error(documents[0], std::string("the top level must be a mapping of settings (found ") +
                                   kind_name(documents[0]) + ")");
    return std::nullopt;
  }
  return documents[0];
}

// The folder relative paths start from: the config file's, made absolute.
std::filesystem::path base_of(const std::string& file) {
  std::error_code error;
  const auto absolute = std::filesystem::absolute(std::filesystem::path(file), error);
  return error ? std::filesystem::path(file).parent_path() : absolute.parent_path();
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace

std::string ListenAddress::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

const char* to_string(LogFormat format) { return format == LogFormat::json ? "json" : "text"; }

AgentConfigResult load_agent_config_string(std::string_view text, const std::string& file) {
  AgentConfigResult result;
  result.config.file = file;
  ConfigReader reader(file, base_of(file));
  if (const auto document = parse(text, reader)) {
    for (const Entry& entry : reader.entries(*document, kTopKeys, detail::top_level())) {
      read_top_key(reader, entry, result.config);
    }
  }
  result.errors = reader.take_errors();
  return result;
}

AgentConfigResult load_agent_config(const std::string& path) {
  const auto text = util::read_whole_file(path);
  if (!text) {
    AgentConfigResult result;
    result.config.file = path;
    result.errors.push_back(
        pipeline::Diagnostic{path, 0, 0, "cannot read agent config: " + text.error().message});
    return result;
  }
  return load_agent_config_string(text.value(), path);
}

std::string run_url(const ReposConfig& config, std::int64_t id) {
  if (config.public_url.empty()) return "";
  std::string base = config.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/runs/" + std::to_string(id);
}

const RepoConfig* find_repo(const ReposConfig& config, std::string_view full_name) {
  const auto it = std::find_if(config.repos.begin(), config.repos.end(), [&](const RepoConfig& repo) {
    return equal_ignoring_case(repo.name, full_name);
  });
  return it == config.repos.end() ? nullptr : &*it;
}

}  // namespace turnout::agent
