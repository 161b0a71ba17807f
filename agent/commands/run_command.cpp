#include <filesystem>
#include <memory>
#include <optional>

#include "agent/actions/actions_reporter.h"
#include "agent/commands/command.h"
#include "agent/commands/data_dir.h"
#include "agent/commands/signal_watcher.h"
#include "agent/report/cli_reporting.h"
#include "agent/run/console_reporter.h"
#include "agent/run/exit_code.h"
#include "agent/run/run_executor.h"
#include "agent/serve/feed_listener.h"
#include "agent/store/open_store.h"
#include "git/remote_url.h"
#include "steps/deploy/feed_endpoint.h"

namespace turnout::agent {

namespace {

/// The flags of `turnout run`, as typed.
struct RunOptions {
  std::string dir;
  std::string repo;
  std::string ref;
  std::string sha;
  git::CredentialSource credentials;
  RunRequest request;
  DataDirFlags where;       // --data-dir, and --config (also the config --report reads)
  bool report = false;      // --report: to GitHub and notify: as agent.yml says (cli_reporting.h)
  std::string github_repo;  // --github-repo
};

// A local path is recorded absolute, so that `turnout rerun` works from any folder.
std::string absolute_if_local(const std::string& repo) {
  const auto url = git::parse_remote_url(repo);
  if (!url || url.value().kind != git::RemoteKind::local_path) return repo;
  return std::filesystem::absolute(repo).lexically_normal().string();
}

util::Result<RunRequest> validate(RunOptions& options) {
  if (!options.dir.empty() && !options.repo.empty()) {
    return util::fail("give either --dir or --repo, not both");
  }
  const auto& from = options.credentials;
  const bool credentials = !from.token_env.empty() || !from.token_file.empty() || !from.ssh_key_file.empty();
  if (options.repo.empty() && (!options.ref.empty() || !options.sha.empty() || credentials)) {
    return util::fail("--ref, --sha, --token-env, --token-file and --ssh-key need --repo");
  }
  // Messages name what this person typed: the flags, not agent.yml's keys.
  options.credentials.names = {"--token-env", "--token-file", "--ssh-key", "ssh_passphrase_env"};
  auto loaded = git::load_credentials(from);
  if (!loaded) return loaded.error();
  RunRequest request = options.request;
  request.dir = options.dir.empty() ? "." : options.dir;
  request.remote.url = absolute_if_local(options.repo);
  request.remote.ref = options.ref;
  request.remote.sha = options.sha;
  request.remote.credentials = std::move(loaded.value());
  return request;
}

// Under a GitHub Actions runner (and no --dir/--repo: those ask for a plain local run, as
// turnout's own tests in its CI do), the code is the job's checkout and the output speaks the
// runner's language.
bool actions_mode(const RunOptions& options) {
  return options.dir.empty() && options.repo.empty() && actions::running_under_actions();
}

// The job's checkout as the folder to run; `when.branches` sees the workflow's branch.
void use_job_checkout(const actions::ActionsEnvironment& env, RunRequest& request) {
  request.dir = env.workspace;
  if (request.branch.empty()) request.branch = env.branch;
  request.trigger = Trigger::actions;
}

// The traffic feed of a data folder whose deploys send it (their endpoint exists), received here
// while no agent does (its port is free): a canary run by hand is then judged by its figures too.
// Null otherwise: a canary is judged by its probes, and says so.
std::unique_ptr<FeedListener> listen_to_feed(const std::string& data_dir) {
  std::error_code error;
  if (!std::filesystem::exists(steps::deploy::feed_endpoint_file(data_dir), error)) return nullptr;
  auto feed = std::make_unique<FeedListener>(data_dir);
  return feed->listening() ? std::move(feed) : nullptr;
}

int execute(RunRequest request, const std::string& data_dir, const RunOptions& options,
            const std::optional<actions::ActionsEnvironment>& actions_env) {
  auto store = open_store(data_dir);
  if (!store) return usage_error("run", store.error().message);
  std::unique_ptr<CliReporting> reporting;
  if (options.report) {
    auto opened = CliReporting::open(options.where.config.empty() ? "agent.yml" : options.where.config,
                                     options.github_repo, store.value()->history, store.value()->reports);
    if (!opened) return usage_error("run", opened.error().message);
    reporting = std::move(opened).value();
  }
  steps::CancelToken cancel;
  const SignalWatcher signals(cancel);
  ConsoleReporter console(stdout, wants_color(stdout));
  std::optional<actions::ActionsReporter> actions;
  std::vector<steps::RunObserver*> observers{&console};
  if (actions_env) {
    actions.emplace(stdout, *actions_env);
    observers.insert(observers.begin(), &*actions);  // its commands precede the console's lines
  }
  if (reporting)
    for (auto* observer : reporting->observers()) observers.push_back(observer);
  const auto feed = listen_to_feed(data_dir);
  RunExecutor executor(data_dir, store.value()->history, observers,
                       feed ? feed->access() : steps::deploy::FeedAccess{});
  const auto outcome = executor.execute(request, cancel);
  if (!outcome.message.empty()) {
    if (actions && outcome.run_id == 0) actions->run_rejected(outcome.message, outcome.problems);
    std::fprintf(stderr, "turnout run: %s\n", outcome.message.c_str());
  }
  if (reporting) reporting->finish(outcome.run_id);
  return outcome.code;
}

int run(RunOptions& options) {
  std::optional<actions::ActionsEnvironment> actions_env;
  if (actions_mode(options)) {
    auto env = actions::read_actions_environment();
    if (!env) return usage_error("run", env.error().message);
    actions_env = std::move(env.value());
  }
  auto request = validate(options);
  if (!request) return usage_error("run", request.error().message);
  if (actions_env) use_job_checkout(*actions_env, request.value());
  const auto data_dir = choose_data_dir(options.where);
  if (!data_dir) return usage_error("run", data_dir.error().message);
  return execute(request.value(), data_dir.value().path, options, actions_env);
}

}  // namespace

Command run_command() {
  return {"run", "Run a pipeline in the foreground; the exit code is the result",
          [](CLI::App& app) -> CommandHandler {
            auto options = std::make_shared<RunOptions>();
            auto& request = options->request;
            app.add_option("--dir", options->dir, "The checked-out code to run in (default: .)");
            app.add_option("--repo", options->repo, "A repository to fetch: URL or path (instead of --dir)");
            app.add_option("--ref", options->ref,
                           "With --repo: branch, tag or refs/... (default: the remote's HEAD)");
            app.add_option("--sha", options->sha, "With --repo: the exact commit to build");
            app.add_option("--token-env", options->credentials.token_env,
                           "With --repo: environment variable holding an HTTPS token");
            app.add_option("--token-file", options->credentials.token_file,
                           "With --repo: file holding an HTTPS token");
            app.add_option("--ssh-key", options->credentials.ssh_key_file,
                           "With --repo: private key for ssh remotes");
            app.add_option("--pipeline", request.pipeline_file, "Pipeline file, relative to the checkout")
                ->capture_default_str();
            app.add_option("--stage", request.stages, "Run only this stage (repeatable)");
            app.add_option("--branch", request.branch,
                           "Branch for `when.branches` (default: the checked-out one)");
            add_data_dir_flags(app, options->where);
            app.add_flag("--report", options->report,
                         "Report to GitHub and notify: URLs as the config's repository says");
            app.add_option("--github-repo", options->github_repo,
                           "With --report: the config's repository, OWNER/REPO (default $GITHUB_REPOSITORY)");
            return [options] { return run(*options); };
          }};
}

}  // namespace turnout::agent
