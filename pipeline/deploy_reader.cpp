#include "pipeline/deploy_reader.h"

#include "pipeline/canary_reader.h"
#include "pipeline/verify_reader.h"

#include <climits>
#include <string_view>
#include <utility>
#include <vector>

namespace turnout::pipeline::detail {

namespace {

const std::vector<std::string> kDeployKeys = {"strategy",      "app",   "slots",    "start",  "stop",
                                              "health",        "proxy", "drain",    "verify", "keep_previous",
                                              "keep_releases", "steps", "analysis", "sticky"};
const std::vector<std::string> kHealthKeys = {"path",     "status",  "tcp",     "command",
                                              "interval", "timeout", "attempts"};

// Each part of a deploy is named `deploy.PART` of its stage; `stage` is the stage's part.
Where deploy_where(const std::string& part, const Where& stage) {
  return Where{"`deploy" + (part.empty() ? std::string() : "." + part) + "`", stage.part};
}

const Entry* find(const std::vector<Entry>& entries, const std::string& key) {
  for (const Entry& entry : entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

std::optional<int> read_port(YamlReader& reader, const Entry& entry, const Where& where) {
  const auto number = reader.whole_number(entry, where);
  if (!number) return std::nullopt;
  if (*number >= 1 && *number <= 65535) return static_cast<int>(*number);
  reader.error(entry.value, where.prefix() + "port " + entry.value.Scalar() + " out of range 1..65535");
  return std::nullopt;
}

Slots read_slots(YamlReader& reader, const Entry& entry, const Where& stage) {
  Slots slots;
  if (!reader.expect_map(entry, deploy_where("", stage))) return slots;
  const Where where = deploy_where("slots", stage);
  const auto entries = reader.entries(entry.value, {"blue", "green"}, where);
  reader.require(entry.value, entries, {"blue", "green"}, where);
  const Entry* last = nullptr;
  for (const Entry& slot : entries) {
    const auto port = read_port(reader, slot, where);
    if (!port) continue;
    (slot.key == "blue" ? slots.blue : slots.green) = *port;
    last = &slot;
  }
  if (slots.blue != 0 && slots.blue == slots.green) {
    reader.error(last->value, where.prefix() + "`slots` blue and green must differ (both " +
                                  std::to_string(slots.blue) + ")");
  }
  return slots;
}

// `path`, `tcp: true` and `command` each choose a kind of probe; only one may be used.
bool chooses_probe(const Entry& entry) {
  bool tcp = false;
  if (entry.key == "tcp") return YAML::convert<bool>::decode(entry.value, tcp) && tcp;
  return entry.key == "path" || entry.key == "command";
}

void check_probe_kind(YamlReader& reader, const std::vector<Entry>& entries, const Where& where,
                      const HealthCheck& health) {
  const Entry* first = nullptr;
  for (const Entry& entry : entries) {
    if (!chooses_probe(entry)) continue;
    if (first == nullptr) {
      first = &entry;
      continue;
    }
    reader.error(entry.key_node, where.prefix() + "use only one of `path`, `tcp` and `command` (`" +
                                     first->key + "` is at line " + std::to_string(line_of(first->key_node)) +
                                     ")");
  }
  const Entry* status = find(entries, "status");
  if (status != nullptr && health.kind != ProbeKind::http) {
    reader.error(status->key_node, where.prefix() + "`status` applies only to HTTP checks (with `path`)");
  }
}

void read_health_key(YamlReader& reader, const Entry& entry, const Where& where, HealthCheck& health) {
  if (entry.key == "path") {
    const auto path = reader.text(entry, where);
    if (path && path->front() != '/') {
      reader.error(entry.value, where.prefix() + "`path` must start with '/' (got '" + *path + "')");
    } else if (path) {
      health.path = *path;
    }
  } else if (entry.key == "status") {
    health.status = reader.integer(entry, where, 100, 599);
  } else if (entry.key == "tcp") {
    if (reader.boolean(entry, where).value_or(false)) health.kind = ProbeKind::tcp;
  } else if (entry.key == "command") {
    if (auto command = reader.command(entry, where)) health.command = std::move(*command);
    health.kind = ProbeKind::command;
  } else if (entry.key == "interval") {
    health.interval = reader.duration(entry, where).value_or(health.interval);
  } else if (entry.key == "timeout") {
    health.timeout = reader.positive_duration(entry, where).value_or(health.timeout);
  } else if (entry.key == "attempts") {
    health.attempts = reader.integer(entry, where, 1, INT_MAX).value_or(health.attempts);
  }
}

HealthCheck read_health(YamlReader& reader, const Entry& entry, const Where& stage) {
  HealthCheck health;
  if (!reader.expect_map(entry, deploy_where("", stage))) return health;
  const Where where = deploy_where("health", stage);
  const auto entries = reader.entries(entry.value, kHealthKeys, where);
  for (const Entry& key : entries) read_health_key(reader, key, where, health);
  check_probe_kind(reader, entries, where, health);
  return health;
}

const std::vector<std::string> kNginxKeys = {"mode", "upstream_file", "dir",   "check_port",
                                             "feed", "test",          "reload"};

// A path nginx's configuration holds as written (inside quotes in an `if`): no character it
// would read as a variable, a quote or the end of a directive.
bool plain_path(const std::string& path) {
  for (const char c : path) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("/._-+@=,:").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

std::optional<std::string> read_absolute(YamlReader& reader, const Entry& key, const Where& where) {
  const auto path = reader.text(key, where);
  if (!path) return std::nullopt;
  if (path->front() != '/') {
    reader.error(key.value,
                 where.prefix() + "`" + key.key + "` must be an absolute path (got '" + *path + "')");
    return std::nullopt;
  }
  if (key.key == "dir" && !plain_path(*path)) {
    reader.error(key.value,
                 where.prefix() + "`dir` '" + *path +
                     "' may hold only letters, digits and / . _ - + @ = , : (nginx reads it as written)");
    return std::nullopt;
  }
  return path;
}

void read_mode(YamlReader& reader, const Entry& key, const Where& where, NginxProxy& nginx) {
  const auto mode = reader.text(key, where);
  if (!mode) return;
  if (*mode == "flag" || *mode == "reload") {
    nginx.mode = *mode == "flag" ? NginxMode::flag : NginxMode::reload;
  } else {
    reader.error(key.value, where.prefix() + "unknown mode '" + *mode +
                                "' (expected flag, the default: no reload per switch; or reload)");
  }
}

// Each mode's own keys: `upstream_file` is reload's (and chooses it when `mode` is not given,
// as pipelines written before mode flag existed say), `dir`, `check_port` and `feed` are flag's
// (the feed's log lines name the slot that mode's selector chose).
void check_mode_keys(YamlReader& reader, const std::vector<Entry>& entries, const Entry& map,
                     const Where& where, NginxProxy& nginx) {
  const Entry* mode = find(entries, "mode");
  if (mode == nullptr && find(entries, "upstream_file") != nullptr) nginx.mode = NginxMode::reload;
  const bool reload = nginx.mode == NginxMode::reload;
  for (const Entry& key : entries) {
    if (!reload && key.key == "upstream_file") {
      reader.error(key.key_node,
                   where.prefix() +
                       "`upstream_file` belongs to `mode: reload` (nginx reloaded at each switch); "
                       "mode flag writes its includes under `dir`");
    } else if (reload && (key.key == "dir" || key.key == "check_port" || key.key == "feed")) {
      reader.error(key.key_node, where.prefix() + "`" + key.key + "` applies only to mode flag, not reload");
    }
  }
  if (reload) reader.require(map.value, entries, {"upstream_file"}, where);
}

std::optional<NginxProxy> read_nginx(YamlReader& reader, const Entry& entry, const Where& stage) {
  if (!reader.expect_map(entry, deploy_where("proxy", stage))) return std::nullopt;
  const Where where = deploy_where("proxy.nginx", stage);
  const auto entries = reader.entries(entry.value, kNginxKeys, where);
  NginxProxy nginx;
  for (const Entry& key : entries) {
    if (key.key == "mode") {
      read_mode(reader, key, where, nginx);
    } else if (key.key == "upstream_file" || key.key == "dir") {
      std::string& path = key.key == "dir" ? nginx.dir : nginx.upstream_file;
      path = read_absolute(reader, key, where).value_or(path);
    } else if (key.key == "check_port") {
      nginx.check_port = read_port(reader, key, where).value_or(0);
    } else if (key.key == "feed") {
      nginx.feed = reader.boolean(key, where).value_or(false);
    } else {
      std::string& command = key.key == "test" ? nginx.test : nginx.reload;
      command = reader.command(key, where).value_or(command);
    }
  }
  check_mode_keys(reader, entries, entry, where, nginx);
  return nginx;
}

std::optional<CommandProxy> read_command_proxy(YamlReader& reader, const Entry& entry, const Where& stage) {
  if (!reader.expect_map(entry, deploy_where("proxy", stage))) return std::nullopt;
  const Where where = deploy_where("proxy.command", stage);
  const auto entries = reader.entries(entry.value, {"switch", "current"}, where);
  reader.require(entry.value, entries, {"switch", "current"}, where);
  CommandProxy proxy;
  for (const Entry& key : entries) {
    std::string& command = key.key == "switch" ? proxy.switch_command : proxy.current_command;
    command = reader.command(key, where).value_or(command);
  }
  return proxy;
}

Proxy read_proxy(YamlReader& reader, const Entry& entry, const Where& stage) {
  Proxy proxy;
  if (!reader.expect_map(entry, deploy_where("", stage))) return proxy;
  const Where where = deploy_where("proxy", stage);
  const auto entries = reader.entries(entry.value, {"nginx", "command"}, where);
  const bool misspelt =
      reader.was_misspelt(entry.value, "nginx") || reader.was_misspelt(entry.value, "command");
  if (entries.empty() && !misspelt) {
    reader.error(entry.value, where.prefix() + "needs one of `nginx` or `command`");
  } else if (entries.size() > 1) {
    reader.error(entries[1].key_node, where.prefix() + "use only one of `nginx` and `command`");
  }
  for (const Entry& key : entries) {
    if (key.key == "nginx") {
      proxy.nginx = read_nginx(reader, key, stage);
    } else {
      proxy.command = read_command_proxy(reader, key, stage);
    }
  }
  return proxy;
}

void read_app(YamlReader& reader, const Entry& entry, const Where& where, Deploy& deploy) {
  auto app = reader.text(entry, where);
  if (!app) return;
  if (!is_app_name(*app)) {
    reader.error(entry.value, where.prefix() + "`app` '" + *app +
                                  "' must be lowercase letters, digits, '.', '_' or '-', starting with a "
                                  "letter or digit (it names a folder)");
    return;
  }
  deploy.app = std::move(*app);
}

void read_strategy(YamlReader& reader, const Entry& entry, const Where& where, Deploy& deploy) {
  const auto strategy = reader.text(entry, where);
  if (!strategy) return;
  if (*strategy == "blue-green" || *strategy == "canary") {
    deploy.strategy = *strategy;
  } else {
    reader.error(entry.value, where.prefix() + "unknown strategy '" + *strategy +
                                  "' (expected blue-green, the default, or canary)");
  }
}

void read_deploy_key(YamlReader& reader, const Entry& entry, const Where& where, Deploy& deploy) {
  const Where stage{where.owner, ""};
  if (entry.key == "strategy") {
    read_strategy(reader, entry, where, deploy);
  } else if (entry.key == "app") {
    read_app(reader, entry, where, deploy);
  } else if (entry.key == "slots") {
    deploy.slots = read_slots(reader, entry, stage);
  } else if (entry.key == "start" || entry.key == "stop") {
    std::string& command = entry.key == "start" ? deploy.start : deploy.stop;
    command = reader.command(entry, where).value_or(command);
  } else if (entry.key == "health") {
    deploy.health = read_health(reader, entry, stage);
  } else if (entry.key == "proxy") {
    deploy.proxy = read_proxy(reader, entry, stage);
  } else if (entry.key == "drain") {
    deploy.drain = reader.duration(entry, where).value_or(deploy.drain);
  } else if (entry.key == "verify") {
    read_verify(reader, entry, stage, deploy);
  } else if (entry.key == "keep_previous") {
    deploy.keep_previous = reader.boolean(entry, where).value_or(deploy.keep_previous);
  } else if (entry.key == "keep_releases") {
    deploy.keep_releases = reader.integer(entry, where, 2, INT_MAX).value_or(deploy.keep_releases);
  }
}

}  // namespace

std::optional<Deploy> read_deploy(YamlReader& reader, const Entry& entry, const Where& stage) {
  if (!reader.expect_map(entry, stage)) return std::nullopt;
  const Where where = deploy_where("", stage);
  const auto entries = reader.entries(entry.value, kDeployKeys, where);
  reader.require(entry.value, entries, {"app", "slots", "start", "proxy"}, where);
  Deploy deploy;
  deploy.position = position_of(entry.value);
  for (const Entry& key : entries) read_deploy_key(reader, key, where, deploy);
  check_verify_feed(reader, entries, stage, deploy);
  read_canary(reader, entries, entry, where, deploy);
  return deploy;
}

bool is_app_name(const std::string& name) {
  const auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (name.empty() || !lower_or_digit(name[0])) return false;
  for (const char c : name) {
    if (!lower_or_digit(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace turnout::pipeline::detail
