#include <poll.h>

#include <spdlog/spdlog.h>
#include <cerrno>
#include <csignal>
#include <memory>
#include <optional>

#include "agent/commands/command.h"
#include "agent/config/agent_config.h"
#include "agent/exit_code.h"
#include "agent/http/http_server.h"
#include "agent/open_store.h"
#include "agent/serve_routes.h"
#include "agent/server_logging.h"
#include "agent/signal_watcher.h"
#include "agent/webhook/webhook_intake.h"

namespace turnout::agent {

namespace {

constexpr const char* kNoSecret =
    "no webhook secret configured (webhook_secret_file or webhook_secret_env); refusing to accept unsigned "
    "webhooks. Pass --insecure-no-signature to run without (not for production)";

/// The flags of `turnout serve`, as typed.
struct ServeOptions {
  std::string config = "agent.yml";
  bool insecure_no_signature = false;
  std::string log_format;
};

/// What validate() found: everything the server needs before it starts.
struct ServeSetup {
  AgentConfig config;
  std::optional<std::string> secret;  // nullopt: --insecure-no-signature
};

util::Result<AgentConfig> load_config(const std::string& path) {
  auto loaded = load_agent_config(path);
  if (loaded.ok()) return std::move(loaded.config);
  std::string message;
  for (const auto& error : loaded.errors) message += (message.empty() ? "" : "\n") + error.to_string();
  return util::fail(message, util::ErrorKind::invalid);
}

util::Result<ServeSetup> validate(const ServeOptions& options) {
  auto config = load_config(options.config);
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

int serve(const ServeSetup& setup) {
  // Signals are blocked in every thread from here; the watcher's own thread takes them.
  steps::CancelToken stop;
  const SignalWatcher signals(stop);
  configure_server_logging(setup.config.log_format);
  auto store = open_store(setup.config.data_dir);
  if (!store) return usage_error("serve", store.error().message);
  if (!setup.secret) spdlog::warn("webhook signatures are NOT checked (--insecure-no-signature)");
  const WebhookIntake intake(setup.config, *store.value(), setup.secret);
  Router router;
  add_serve_routes(router, intake, *store.value());
  HttpServerOptions http;
  http.host = setup.config.listen.host;
  http.port = setup.config.listen.port;
  if (setup.config.tls) http.tls = TlsFiles{setup.config.tls->cert, setup.config.tls->key};
  auto server = HttpServer::start(http, router);
  if (!server) return usage_error("serve", server.error().message);
  spdlog::info("listening on {} (data in {}, {} repositories)", setup.config.listen.to_string(),
               setup.config.data_dir, setup.config.repos.size());
  wait_for(stop);
  spdlog::info("signal {} received: stopping", signals.received());
  server.value()->stop();
  spdlog::info("stopped");
  return kExitSucceeded;
}

}  // namespace

Command serve_command() {
  return {"serve", "Run the agent: receive GitHub webhooks and queue runs; JSON API",
          [](CLI::App& app) -> CommandHandler {
            auto options = std::make_shared<ServeOptions>();
            app.add_option("--config", options->config, "The agent's config file")->capture_default_str();
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
