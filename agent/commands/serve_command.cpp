#include <poll.h>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <memory>
#include <optional>
#include <tuple>
#include <vector>

#include "agent/apps/app_deploy.h"
#include "agent/client/agent_presence.h"
#include "agent/commands/command.h"
#include "agent/commands/data_dir.h"
#include "agent/commands/signal_watcher.h"
#include "agent/config/agent_config.h"
#include "agent/http/http_server.h"
#include "agent/metrics/metrics.h"
#include "agent/report/report_sender.h"
#include "agent/report/reporting.h"
#include "agent/run/exit_code.h"
#include "agent/serve/routes.h"
#include "agent/serve/scheduler.h"
#include "agent/serve/server_logging.h"
#include "agent/store/open_store.h"
#include "agent/webhook/webhook_intake.h"
#include "util/duration.h"
#include "util/file_lock.h"
#include "util/listen_probe.h"

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
  std::optional<std::string> secret;  // nullopt: --insecure-no-signature
};

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
  ServeSetup setup{std::move(config.value()), std::nullopt};
  if (options.log_format == "json") setup.config.log_format = LogFormat::json;
  if (options.log_format == "text") setup.config.log_format = LogFormat::text;
  if (!setup.config.webhook_secret.configured()) {
    if (options.insecure_no_signature) return setup;
    return util::fail(kNoSecret);
  }
  auto secret = read_secret(setup.config.webhook_secret);
  if (!secret) return secret.error();
  setup.secret = std::move(secret.value());
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

int serve(const ServeSetup& setup) {
  // Signals are blocked in every thread from here; the watcher's own thread takes them.
  steps::CancelToken stop;
  const SignalWatcher signals(stop);
  configure_server_logging(setup.config.log_format);
  const AgentConfig& config = setup.config;
  const auto claimed = claim(config);
  if (!claimed) return usage_error("serve", claimed.error().message);
  auto store = open_store(config.data_dir);
  if (!store) return usage_error("serve", store.error().message);
  if (!setup.secret) spdlog::warn("webhook signatures are NOT checked (--insecure-no-signature)");
  reconcile_all_apps(config.data_dir);
  const std::string local_token = make_local_token();
  auto tokens = write_tokens(config, local_token);
  if (!tokens) return usage_error("serve", tokens.error().message);

  Metrics metrics;
  Store& stores = *store.value();
  ReportSender sender(config, stores.reports, &metrics);
  Reporting reporting(config, stores.history, stores.reports, [&sender] { sender.wake(); });
  Scheduler scheduler({config, config.data_dir, config.workers}, {stores.queue, stores.history}, metrics,
                      &reporting);
  const WebhookIntake intake(
      config, stores.queue, setup.secret,
      [&scheduler](bool cancel_in_progress) { scheduler.notify_queued(cancel_in_progress); }, &reporting);
  const ServeParts parts{
      config,    intake, stores.history, stores.counter, scheduler, metrics, std::move(tokens.value()),
      &reporting};
  Router router;
  add_serve_routes(router, parts);
  HttpServerOptions http;
  http.host = config.listen.host;
  http.port = config.listen.port;
  if (config.tls) http.tls = TlsFiles{config.tls->cert, config.tls->key};
  auto server = HttpServer::start(http, router);
  if (!server) return usage_error("serve", server.error().message);
  const AgentPresence presence{util::self_identity(), local_url(config, server.value()->port()), local_token,
                               config.tls ? config.tls->cert : ""};
  if (auto announced = announce_presence(config.data_dir, presence); !announced)
    spdlog::warn("turnout rerun will not find this agent: {}", announced.error().message);
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
  server.value()->stop();
  withdraw_presence(config.data_dir);
  scheduler.shutdown(config.shutdown_grace);
  sender.stop();  // what it has not sent stays queued in the store for the next start
  spdlog::info("stopped");
  return kExitSucceeded;
}

}  // namespace

Command serve_command() {
  return {"serve", "Run the agent: receive GitHub webhooks, run the queued pipelines; JSON API and metrics",
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
              return serve(setup.value());
            };
          }};
}

}  // namespace turnout::agent
