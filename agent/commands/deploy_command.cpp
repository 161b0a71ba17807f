// `turnout deploy status|rollback|switch|bootup|promote|abort`: operating deployed apps by hand.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "agent/apps/app_deploy.h"
#include "agent/apps/app_status.h"
#include "agent/apps/hand_operations.h"
#include "agent/commands/command.h"
#include "agent/commands/data_dir.h"
#include "agent/commands/signal_watcher.h"
#include "agent/report/cli_reporting.h"
#include "agent/run/exit_code.h"
#include "agent/store/open_store.h"
#include "util/terminal_color.h"

namespace turnout::agent {

namespace {

namespace deploy = steps::deploy;

struct DeployOptions {
  std::string app;
  std::string slot;
  DataDirFlags where;  // --data-dir, --config (also the config rollback --report reads)
  bool json = false;
  bool report = false;      // rollback --report (agent/report/cli_reporting.h)
  std::string github_repo;  // --github-repo
  std::string to;           // rollback --to RUN|SHA
};

// The kept releases that were live, newest first: what `rollback --to` may name.
void print_releases(const Poco::JSON::Object::Ptr& json) {
  const auto releases = json->getArray("releases");
  if (!releases || releases->size() == 0) return;
  std::printf("  releases that were live (newest first; rollback --to RUN or SHA):\n");
  for (std::size_t i = 0; i < releases->size(); ++i) {
    const auto release = releases->getObject(static_cast<unsigned>(i));
    const auto until = release->getValue<std::string>("live_until");
    std::printf("    %-12s run %-6s live %s .. %s\n",
                release->getValue<std::string>("sha").substr(0, 12).c_str(),
                release->getValue<std::string>("run_id").c_str(),
                release->getValue<std::string>("live_since").c_str(), until.empty() ? "now" : until.c_str());
  }
}

void print_app(const Poco::JSON::Object::Ptr& json) {
  const bool color = util::wants_color(stdout);
  std::printf("%s\n", util::paint(color, util::sgr::kBold, json->getValue<std::string>("app")).c_str());
  for (const auto* role : {"live", "idle"}) {
    if (json->isNull(role)) {
      std::printf("  %-6s none\n", role);
      continue;
    }
    const auto slot = json->getObject(role);
    const bool alive = slot->getValue<bool>("alive");
    const bool healthy = slot->getValue<bool>("healthy");
    std::printf(
        "  %-6s %-5s port %d  %s  %s  %s  %s\n", role, slot->getValue<std::string>("slot").c_str(),
        slot->getValue<int>("port"),
        util::paint(color, alive ? util::sgr::kGreen : util::sgr::kRed, alive ? "running" : "stopped")
            .c_str(),
        util::paint(color, healthy ? util::sgr::kGreen : util::sgr::kRed, healthy ? "healthy" : "not healthy")
            .c_str(),
        slot->getValue<std::string>("sha").substr(0, 12).c_str(),
        slot->getValue<std::string>("since").c_str());
  }
  const auto port = json->get("proxy_port");
  std::printf("  proxy  %s -> %s\n", json->getValue<std::string>("proxy").c_str(),
              port.isEmpty() ? "nothing" : ("port " + port.convert<std::string>()).c_str());
  if (!json->isNull("weights")) {
    const auto weights = json->getObject("weights");
    std::printf("  traffic blue %d%%, green %d%%\n", weights->getValue<int>("blue"),
                weights->getValue<int>("green"));
  }
  if (!json->isNull("canary")) {
    const auto canary = json->getObject("canary");
    std::printf("  canary slot %s at %d%%, step %d of %d (then 100%%)\n",
                canary->getValue<std::string>("slot").c_str(), canary->getValue<int>("weight"),
                canary->getValue<int>("step"), canary->getValue<int>("steps"));
  }
  if (json->has("unfinished_deploy"))
    std::printf("  unfinished deploy: %s\n", json->getValue<std::string>("unfinished_deploy").c_str());
  print_releases(json);
}

int status(const DeployOptions& options, const std::string& data_dir) {
  const auto apps = options.app.empty() ? deploy::list_apps(data_dir) : std::vector<std::string>{options.app};
  Poco::JSON::Array::Ptr all = new Poco::JSON::Array;
  for (const auto& name : apps) {
    auto app = load_app_deploy(data_dir, name);
    if (!app) return usage_error("deploy status", app.error().message);
    all->add(app_status_json(app.value()));
  }
  if (options.json) {
    all->stringify(std::cout);
    std::cout << '\n';
  } else if (apps.empty()) {
    std::printf("no apps deployed in %s\n", data_dir.c_str());
  } else {
    for (std::size_t i = 0; i < all->size(); ++i) print_app(all->getObject(static_cast<unsigned>(i)));
  }
  return kExitSucceeded;
}

// `deploy rollback --report`: the store of the data folder and the config's repository.
util::Result<std::unique_ptr<CliReporting>> open_rollback_reporting(const DeployOptions& options,
                                                                    const std::string& data_dir,
                                                                    std::unique_ptr<Store>& store) {
  auto opened = open_store(data_dir);
  if (!opened) return opened.error();
  store = std::move(opened).value();
  return CliReporting::open(options.where.config.empty() ? "agent.yml" : options.where.config,
                            options.github_repo, store->history, store->reports);
}

// rollback, switch and bootup: one operation on one app, its log on stdout; `slot` names the
// slot whose release's commands it runs (none = the live one's).
int operate(const std::string& command, const std::string& app_name, const std::string& data_dir,
            const std::function<deploy::DeployOutcome(const AppDeploy&, const steps::CancelToken&,
                                                      const deploy::DeployLog&)>& operation,
            std::optional<deploy::Slot> slot = std::nullopt) {
  auto app = load_app_deploy(data_dir, app_name, slot);
  if (!app) return usage_error(command, app.error().message);
  steps::CancelToken cancel;
  const SignalWatcher signals(cancel);
  const auto log =
      masked_log(app.value(), [](const std::string& line) { std::printf("%s\n", line.c_str()); });
  const auto outcome = operation(app.value(), cancel, log);
  if (outcome.ok) return kExitSucceeded;
  std::fprintf(stderr, "turnout %s: %s\n", command.c_str(), masked(app.value(), outcome.reason).c_str());
  return outcome.cancelled ? kExitCancelled : kExitFailed;
}

int rollback(const DeployOptions& options, const std::string& data_dir) {
  std::unique_ptr<Store> store;
  std::unique_ptr<CliReporting> reporting;
  if (options.report) {
    auto opened = open_rollback_reporting(options, data_dir, store);
    if (!opened) return usage_error("deploy rollback", opened.error().message);
    reporting = std::move(opened).value();
  }
  // The commit now live is reported once the operation is over (and the signals are the
  // default again): sending may take seconds, and Ctrl-C must still end it.
  std::string sha;
  const int code =
      operate("deploy rollback", options.app, data_dir, [&](const AppDeploy& app, auto& cancel, auto& log) {
        const auto done = hand_rollback(
            app, {cancel, log, [&sha](const std::string&, const deploy::SlotState& live) { sha = live.sha; },
                  options.to});
        return deploy::DeployOutcome{done.ok(), done.cancelled, done.reason, done.live};
      });
  if (code == kExitSucceeded && reporting) reporting->rolled_back(options.app, sha);
  return code;
}

int switch_slot(const DeployOptions& options, const std::string& data_dir) {
  // CLI11 has let only blue or green through; this is where the name becomes a Slot.
  const auto slot = deploy::parse_slot(options.slot);
  if (!slot) return usage_error("deploy switch", "unknown slot '" + options.slot + "' (blue or green)");
  return operate(
      "deploy switch", options.app, data_dir,
      [&](const AppDeploy& app, auto& cancel, auto& log) {
        warn_unset_secrets(app, log);
        return deploy::switch_to_slot(app.deploy, app.site, *slot, cancel, log);
      },
      *slot);
}

// promote and abort: an order to the canary in progress, which runs in another process.
int order_canary(const DeployOptions& options, const std::string& data_dir, deploy::CanaryOrder order) {
  const std::string command = std::string("deploy ") + deploy::to_string(order);
  const auto done = hand_canary_order(data_dir, options.app, order, "the command line");
  if (done.result == HandResult::no_such_app) return usage_error(command, done.reason);
  for (const auto& line : done.log) std::printf("%s\n", line.c_str());
  if (done.ok()) return kExitSucceeded;
  std::fprintf(stderr, "turnout %s: %s\n", command.c_str(), done.reason.c_str());
  return kExitFailed;
}

int bootup(const DeployOptions& options, const std::string& data_dir) {
  const auto apps = options.app.empty() ? deploy::list_apps(data_dir) : std::vector<std::string>{options.app};
  int worst = kExitSucceeded;
  for (const auto& name : apps) {
    std::printf("%s:\n", name.c_str());
    const int code =
        operate("deploy bootup", name, data_dir, [](const AppDeploy& app, auto& cancel, auto& log) {
          warn_unset_secrets(app, log);
          return deploy::boot_live_slot(app.deploy, app.site, cancel, log);
        });
    if (code != kExitSucceeded) worst = code;
  }
  return worst;
}

}  // namespace

Command deploy_command() {
  return {
      "deploy", "Operate blue-green and canary apps: status, rollback, switch SLOT, bootup, promote, abort",
      [](CLI::App& app) -> CommandHandler {
        auto options = std::make_shared<DeployOptions>();
        app.require_subcommand(1);
        add_data_dir_flags(app, options->where);
        auto* status_app =
            app.add_subcommand("status", "Each app: live and idle slot, proxy, unfinished deploy");
        status_app->add_option("--app", options->app, "Only this app");
        status_app->add_flag("--json", options->json, "As JSON");
        auto* rollback_app =
            app.add_subcommand("rollback", "Point traffic back at the release live before the current one");
        rollback_app->add_option("--app", options->app, "The app")->required();
        rollback_app->add_option("--to", options->to,
                                 "A kept release that was live, by its run id or commit (7+ hex digits)");
        rollback_app->add_flag("--report", options->report,
                               "Report the rollback to GitHub as a deployment, as the config says");
        rollback_app->add_option("--github-repo", options->github_repo,
                                 "With --report: the config's repository (default $GITHUB_REPOSITORY)");
        auto* switch_app = app.add_subcommand("switch", "Point traffic at a slot (started first if needed)");
        switch_app->add_option("slot", options->slot, "blue or green")
            ->required()
            ->check(CLI::IsMember({"blue", "green"}));
        switch_app->add_option("--app", options->app, "The app")->required();
        auto* bootup_app =
            app.add_subcommand("bootup", "After a reboot: start each app's live slot, point the proxy at it");
        bootup_app->add_option("--app", options->app, "Only this app");
        auto* promote_app = app.add_subcommand(
            "promote", "A canary in progress: skip its remaining steps, all traffic to it now");
        promote_app->add_option("--app", options->app, "The app")->required();
        auto* abort_app = app.add_subcommand(
            "abort", "A canary in progress: take its share of the traffic away and fail its deploy");
        abort_app->add_option("--app", options->app, "The app")->required();
        for (auto* sub : {status_app, rollback_app, switch_app, bootup_app, promote_app, abort_app})
          add_data_dir_flags(*sub, options->where);
        return [options, status_app, rollback_app, switch_app, promote_app, abort_app] {
          // Every one of them works on deployed apps: none creates a data folder.
          const auto found = existing_data_dir(options->where, ".");
          if (!found) return usage_error("deploy", found.error().message);
          const auto& data_dir = found.value();
          if (status_app->parsed()) return status(*options, data_dir);
          if (rollback_app->parsed()) return rollback(*options, data_dir);
          if (switch_app->parsed()) return switch_slot(*options, data_dir);
          if (promote_app->parsed()) return order_canary(*options, data_dir, deploy::CanaryOrder::promote);
          if (abort_app->parsed()) return order_canary(*options, data_dir, deploy::CanaryOrder::abort);
          return bootup(*options, data_dir);
        };
      }};
}

}  // namespace turnout::agent
