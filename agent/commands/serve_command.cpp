#include <poll.h>
#include <sys/resource.h>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <tuple>
#include <vector>

#include "agent/apps/app_deploy.h"
#include "agent/client/agent_presence.h"
#include "agent/commands/command.h"
#include "agent/commands/data_dir.h"
#include "agent/commands/signal_watcher.h"
#include "agent/config/agent_config.h"
#include "agent/dashboard/dashboard_routes.h"
#include "agent/http/http_server.h"
#include "agent/metrics/metrics.h"
#include "agent/report/report_sender.h"
#include "agent/report/reporting.h"
#include "agent/run/exit_code.h"
#include "agent/serve/feed_listener.h"
#include "agent/serve/routes.h"
#include "agent/serve/scheduler.h"
#include "agent/serve/server_logging.h"
#include "agent/store/open_store.h"
#include "agent/webhook/webhook_intake.h"
#include "util/duration.h"
#include "util/file_lock.h"
#include "util/listen_probe.h"
#include "util/reloadable.h"

namespace turnout::agent {

namespace {

constexpr const char* kNoSecret =
    "no webhook secret configured (webhook_secret_file or webhook_secret_env); refusing to accept unsigned "
    "webhooks. Pass --insecure-no-signature to run without (not for production)";

/// The flags of `turnout serve`, as typed.
struct ServeOptions {
  std::string config;  // "" = kSystemConfig when it exists, else agent.yml
  bool insecure_no_signature = false;
  std::string log_format;
};

/// What validate() found: everything the server needs before it starts.
struct ServeSetup {
  AgentConfig config;
  WebhookSecrets secrets;  // the agent's and each repository's own; insecure: --insecure-no-signature
};

// Every repository has a secret of its own: the agent needs none.
bool every_repo_has_own_secret(const AgentConfig& config) {
  return !config.repos.empty() &&
         std::all_of(config.repos.begin(), config.repos.end(),
                     [](const RepoConfig& repo) { return repo.webhook_secret.configured(); });
}

// Each repository's own webhook secret, read now: one that cannot be read stops the start.
util::Status read_repo_secrets(const AgentConfig& config, WebhookSecrets& secrets) {
  for (const auto& repo : config.repos) {
    if (!repo.webhook_secret.configured()) continue;
    auto secret = read_secret(repo.webhook_secret);
    if (!secret) return util::fail("repository " + repo.name + ": " + secret.error().message);
    secrets.repos[repo.name] = std::move(secret.value());
  }
  return util::Ok{};
}

// The secrets serve cannot start without, when they are named but cannot be read: each at
// the position of its key, so that they are told with the config's other problems.
void check_secrets(const AgentConfig& config, std::vector<pipeline::Diagnostic>& problems) {
  for (const SecretRef* ref : {&config.webhook_secret, &config.api_token}) {
    if (!ref->configured()) continue;
    if (auto read = read_secret(*ref); !read)
      problems.push_back({config.file, ref->line, ref->column, read.error().message});
  }
}

// agent.yml loaded, with every problem at once (schema and unreadable secrets), in file order.
util::Result<AgentConfig> load_config(const std::string& path) {
  auto loaded = load_agent_config(path);
  auto problems = loaded.errors;
  check_secrets(loaded.config, problems);
  if (problems.empty()) return std::move(loaded.config);
  std::stable_sort(problems.begin(), problems.end(), [](const auto& a, const auto& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  std::string message;
  for (const auto& error : problems) message += (message.empty() ? "" : "\n") + error.to_string();
  return util::fail(message, util::ErrorKind::invalid);
}

util::Result<ServeSetup> validate(const ServeOptions& options) {
  std::error_code missing;
  const std::string file = !options.config.empty()                                    ? options.config
                           : std::filesystem::is_regular_file(kSystemConfig, missing) ? kSystemConfig
                                                                                      : "agent.yml";
  auto config = load_config(file);
  if (!config) return config.error();
  ServeSetup setup{std::move(config.value()), WebhookSecrets{}};
  if (options.log_format == "json") setup.config.log_format = LogFormat::json;
  if (options.log_format == "text") setup.config.log_format = LogFormat::text;
  if (auto own = read_repo_secrets(setup.config, setup.secrets); !own) return own.error();
  setup.secrets.insecure = false;
  if (!setup.config.webhook_secret.configured()) {
    if (options.insecure_no_signature) setup.secrets.insecure = true;
    if (options.insecure_no_signature || every_repo_has_own_secret(setup.config)) return setup;
    return util::fail(kNoSecret);
  }
  auto secret = read_secret(setup.config.webhook_secret);
  if (!secret) return secret.error();
  setup.secrets.agent = std::move(secret.value());
  return setup;
}

// Blocks until SIGINT or SIGTERM has cancelled `token`.
void wait_for(const steps::CancelToken& token) {
  pollfd watched{token.fd(), POLLIN, 0};
  while (!token.cancelled()) {
    if (::poll(&watched, 1, -1) < 0 && errno != EINTR) return;
  }
}

// The URL the CLI on this machine reaches the agent at: the listen address, with a wildcard
// host replaced by loopback.
std::string local_url(const AgentConfig& config, int port) {
  std::string host = config.listen.host;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::string(config.tls ? "https" : "http") + "://" + host + ":" + std::to_string(port);
}

// The configured API token (when there is one) and the local one agent.json hands the CLI.
util::Result<std::vector<std::string>> write_tokens(const AgentConfig& config, const std::string& local) {
  std::vector<std::string> tokens{local};
  if (!config.api_token.configured()) return tokens;
  auto token = read_secret(config.api_token);
  if (!token) return token.error();
  tokens.push_back(std::move(token.value()));
  return tokens;
}

// The HTTP server's address, TLS and limits, as agent.yml gives them.
HttpServerOptions server_options(const AgentConfig& config) {
  HttpServerOptions http;
  http.host = config.listen.host;
  http.port = config.listen.port;
  if (config.tls) http.tls = TlsFiles{config.tls->cert, config.tls->key};
  const HttpConfig& limits = config.http;
  http.threads = limits.threads;
  http.max_queued = limits.max_queued;
  http.header_timeout = limits.header_timeout;
  http.idle_timeout = limits.idle_timeout;
  http.send_timeout = limits.send_timeout;
  http.min_body_rate = static_cast<std::size_t>(limits.min_body_rate);
  http.max_connections = limits.max_connections;
  http.max_connections_per_peer = limits.max_connections_per_peer;
  http.max_live_streams = limits.max_live_streams;
  return http;
}

// Each connection is a descriptor: the soft limit (1,024 under systemd) would refuse
// connections long before `http.max_connections`; the hard limit is ours to take.
void raise_open_files_limit(int connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = std::min<rlim_t>(limit.rlim_max, static_cast<rlim_t>(connections) + 256);
  if (limit.rlim_cur >= wanted) return;
  limit.rlim_cur = wanted;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0)
    spdlog::warn("cannot raise the open files limit: {}", std::strerror(errno));
  if (limit.rlim_max < static_cast<rlim_t>(connections) + 256)
    spdlog::warn("open files limited to {}: fewer than http.max_connections ({}) can be served",
                 limit.rlim_max, connections);
}

// SIGHUP: a renewed certificate for the connections to come (certbot's deploy hook sends it).
void reload_certificate(HttpServer& server, const AgentConfig& config) {
  if (!config.tls) return;
  if (auto reloaded = server.reload_tls(); !reloaded) {
    return spdlog::error("SIGHUP: the TLS certificate was not reloaded, the old one stays in use: {}",
                         reloaded.error().message);
  }
  spdlog::info("SIGHUP: TLS certificate reloaded from {}", config.tls->cert);
}

// The keys of agent.yml a running agent cannot take: they stay as they were until a restart.
std::vector<std::string> restart_only_changes(const AgentConfig& running, const AgentConfig& read) {
  const std::pair<bool, const char*> keys[] = {
      {running.listen == read.listen, "listen"},
      {running.data_dir == read.data_dir, "data_dir"},
      {running.workers == read.workers, "workers"},
      {running.shutdown_grace == read.shutdown_grace, "shutdown_grace"},
      {running.tls == read.tls, "tls"},
      {running.http == read.http, "http"},
      {running.log_format == read.log_format, "log_format"}};
  std::vector<std::string> changed;
  for (const auto& [same, key] : keys) {
    if (!same) changed.emplace_back(key);
  }
  return changed;
}

/// What SIGHUP replaces in a running agent, and with what it checks the new agent.yml.
struct Reloadables {
  const ServeOptions& options;                                   ///< where agent.yml is
  const AgentConfig& running;                                    ///< what the agent started with
  const std::string& local_token;                                ///< the CLI's, kept across reloads
  WebhookIntake& intake;                                         ///< repositories and webhook secrets
  Scheduler& scheduler;                                          ///< pipelines and fetch credentials
  Reporting& reporting;                                          ///< what each repository reports
  ReportSender& sender;                                          ///< where reports go, with which token
  util::Reloadable<std::vector<std::string>>& write_tokens;      ///< the API's tokens
  std::function<void(std::vector<std::string>)> sign_in_tokens;  ///< the dashboard's (the same)
  HttpServer& server;                                            ///< its TLS certificate
};

// SIGHUP: agent.yml read and checked again as at the start; when it is valid, the repositories,
// their branches and secrets, the tokens and the TLS certificate are replaced for what comes
// next (requests and runs under way keep what they started with); when it is not, each problem
// is logged at its file:line:column and the running configuration stays whole.
void reload_config(const Reloadables& parts) {
  auto setup = validate(parts.options);
  auto tokens = setup ? write_tokens(setup.value().config, parts.local_token)
                      : util::Result<std::vector<std::string>>(setup.error());
  if (!tokens) {
    spdlog::error("SIGHUP: agent.yml not reloaded (the running configuration stays):");
    std::istringstream lines(tokens.error().message);
    for (std::string line; std::getline(lines, line);) spdlog::error("  {}", line);
    return;
  }
  const AgentConfig& config = setup.value().config;
  parts.scheduler.reload(config);
  parts.reporting.reload(config);
  parts.sender.reload(config);
  parts.sign_in_tokens(tokens.value());
  parts.write_tokens.replace(std::move(tokens.value()));
  parts.intake.reload(config, std::move(setup.value().secrets));
  reload_certificate(parts.server, parts.running);
  spdlog::info("SIGHUP: {} reloaded ({} repositories)", config.file, config.repos.size());
  for (const auto& key : restart_only_changes(parts.running, config))
    spdlog::warn("SIGHUP: `{}` changed in {}: it takes effect at the next restart", key, config.file);
}

// The data folder's lock while serving: a second agent on the same folder would overwrite
// agent.json, delete it when it stops, and leave the CLI without the first.
util::Result<util::FileLock> lock_data_dir(const std::string& data_dir) {
  auto lock = util::FileLock::try_acquire((std::filesystem::path(data_dir) / "serve.lock").string(), 0600);
  if (!lock || lock.value().held()) return lock;
  const auto first = find_serving_agent(data_dir);
  const std::string who = first ? "(pid " + std::to_string(first->process.pid) + ", " + first->url + ")"
                                : "(still starting: it has not written agent.json yet)";
  return util::fail("data folder " + data_dir + " is served by another turnout serve " + who +
                    ": stop it first, or give this agent another data_dir");
}

// Claims what serving needs before anything is created: the data folder's lock (taken first
// when the folder exists, so a second agent names the first rather than its port), the listen
// address, then the folder itself.
util::Result<util::FileLock> claim(const AgentConfig& config) {
  std::optional<util::FileLock> lock;
  std::error_code error;
  if (std::filesystem::is_directory(config.data_dir, error)) {
    auto locked = lock_data_dir(config.data_dir);
    if (!locked) return locked.error();
    lock.emplace(std::move(locked.value()));
  }
  if (config.listen.port != 0) {
    if (auto free = util::probe_listen(config.listen.host, config.listen.port); !free) {
      return util::fail("cannot listen on " + config.listen.to_string() + ": " + free.error().message +
                        ": is another process using the port? choose another `listen:`");
    }
  }
  if (lock) return std::move(*lock);
  std::filesystem::create_directories(config.data_dir, error);
  if (error) return util::fail("cannot create data folder " + config.data_dir + ": " + error.message());
  return lock_data_dir(config.data_dir);
}

// Why the HTTP layer refused a delivery before the webhook route saw it, for /deliveries.
std::string refused_by_transport(int status) {
  switch (status) {
    case 413:
      return "the body is larger than the agent takes (refused before reading it)";
    case 408:
      return "the request came too slowly and was cut off";
    case 503:
      return "the agent was too busy (every handler thread and its queue taken)";
    default:
      return "refused by the HTTP layer before the webhook route (status " + std::to_string(status) + ")";
  }
}

int serve(const ServeOptions& options, const ServeSetup& setup) {
  // Signals are blocked in every thread from here; the watcher's own thread takes them. SIGHUP
  // reloads agent.yml once the server runs, and is ignored before and while stopping.
  steps::CancelToken stop;
  // What SIGHUP reaches; guarded, as the agent stops while a reload may be under way.
  std::mutex reloading;
  const Reloadables* reloadables = nullptr;
  const SignalWatcher signals(stop, [&] {
    const std::lock_guard<std::mutex> lock(reloading);
    if (reloadables == nullptr) return spdlog::info("SIGHUP received while starting or stopping: ignored");
    reload_config(*reloadables);
  });
  raise_open_files_limit(setup.config.http.max_connections);
  configure_server_logging(setup.config.log_format);
  const AgentConfig& config = setup.config;
  const auto claimed = claim(config);
  if (!claimed) return usage_error("serve", claimed.error().message);
  auto store = open_store(config.data_dir);
  if (!store) return usage_error("serve", store.error().message);
  if (setup.secrets.insecure)
    spdlog::warn(
        "webhook signatures are NOT checked (--insecure-no-signature) for repositories without their own "
        "secret");
  reconcile_all_apps(config.data_dir);
  const std::string local_token = make_local_token();
  auto tokens = write_tokens(config, local_token);
  if (!tokens) return usage_error("serve", tokens.error().message);

  Metrics metrics;
  Store& stores = *store.value();
  ReportSender sender(config, stores.reports, &metrics);
  Reporting reporting(config, stores.history, stores.reports, [&sender] { sender.wake(); });
  const FeedListener feed(config.data_dir);
  Scheduler scheduler({config, config.data_dir, config.workers, feed.access()},
                      {stores.queue, stores.history}, metrics, &reporting);
  WebhookIntake intake(
      config, stores.queue, setup.secrets,
      [&scheduler](bool cancel_in_progress) { scheduler.notify_queued(cancel_in_progress); }, &reporting,
      &stores.deliveries);
  // The app page shows no traffic rather than zeros while the receiver is down.
  const DashboardParts dashboard{
      config,    stores.history, stores.counter, stores.deliveries,
      scheduler, tokens.value(), &reporting,     feed.listening() ? &feed.feed() : nullptr};
  util::Reloadable<std::vector<std::string>> accepted_tokens(std::move(tokens.value()));
  const ServeParts parts{config,  intake,          stores.history, stores.counter, scheduler,
                         metrics, accepted_tokens, &reporting,     &feed};
  Router router;
  add_serve_routes(router, parts);
  const auto sign_in_tokens = add_dashboard_routes(router, dashboard);
  HttpServerOptions http = server_options(config);
  // A push the transport refused (too large, cut short, bad framing, a full queue) never reached
  // the webhook route: it is counted here, with its code, like the route's own refusals.
  http.on_refused = [&metrics, &stores](const std::string& path, int status) {
    if (path != "/webhook") return;
    metrics.count_rejected(status);
    DeliveryRecord refused;
    refused.forge = "";
    refused.reason = refused_by_transport(status);
    stores.deliveries.refused(std::move(refused), status);
  };
  auto server = HttpServer::start(http, router);
  if (!server) return usage_error("serve", server.error().message);
  const Reloadables hooks{options,   config, local_token,     intake,         scheduler,
                          reporting, sender, accepted_tokens, sign_in_tokens, *server.value()};
  {
    const std::lock_guard<std::mutex> lock(reloading);
    reloadables = &hooks;
  }
  const AgentPresence presence{util::self_identity(), local_url(config, server.value()->port()), local_token,
                               config.tls ? config.tls->cert : ""};
  if (auto announced = announce_presence(config.data_dir, presence); !announced)
    spdlog::warn("turnout rerun will not find this agent: {}", announced.error().message);
  if (feed.listening()) {
    spdlog::info("traffic feed on udp://127.0.0.1:{}", feed.port());
  } else {
    spdlog::warn("traffic feed off (apps with `feed: true` are not counted): {}", feed.problem());
  }
  if (!config.api_token.configured())
    spdlog::warn(
        "no api_token_file or api_token_env: the API's writes (rerun, cancel, rollback) are refused");
  scheduler.start();
  sender.start();
  spdlog::info("listening on {}{} (data in {}, {} repositories, {} workers)", config.listen.to_string(),
               config.tls ? " with TLS" : "", config.data_dir, config.repos.size(), config.workers);
  wait_for(stop);
  spdlog::info("signal {} received: no more webhooks; running steps get {} to finish", signals.received(),
               util::format_duration(config.shutdown_grace));
  {
    const std::lock_guard<std::mutex> lock(reloading);
    reloadables = nullptr;
  }
  server.value()->stop();
  withdraw_presence(config.data_dir);
  scheduler.shutdown(config.shutdown_grace);
  sender.stop();  // what it has not sent stays queued in the store for the next start
  spdlog::info("stopped");
  return kExitSucceeded;
}

}  // namespace

Command serve_command() {
  return {"serve",
          "Run the agent: receive GitHub, Gitea, Forgejo and GitLab webhooks, run the queued pipelines; JSON "
          "API and metrics",
          [](CLI::App& app) -> CommandHandler {
            auto options = std::make_shared<ServeOptions>();
            app.add_option("--config", options->config,
                           std::string("The agent's config file (default: ") + kSystemConfig +
                               " when it exists, else agent.yml)");
            app.add_flag("--insecure-no-signature", options->insecure_no_signature,
                         "Accept webhooks without a signature check when no secret is configured");
            app.add_option("--log-format", options->log_format, "text or json (default: the config's)")
                ->check(CLI::IsMember({"text", "json"}));
            return [options] {
              auto setup = validate(*options);
              if (!setup) return usage_error("serve", setup.error().message);
              return serve(*options, setup.value());
            };
          }};
}

}  // namespace turnout::agent
