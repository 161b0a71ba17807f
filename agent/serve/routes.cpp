#include "agent/serve/routes.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "agent/apps/app_deploy.h"
#include "agent/apps/app_status.h"
#include "agent/run/run_json.h"
#include "agent/run/run_log.h"
#include "util/hmac.h"

namespace turnout::agent {

namespace {

std::string stringify(const Poco::JSON::Object& object) {
  std::ostringstream text;
  object.stringify(text);
  return text.str();
}

HttpResponse intake_response(const IntakeAnswer& answer) {
  Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
  body.set("result", answer.result);
  body.set("reason", answer.reason);
  if (answer.run) body.set("run", *answer.run);
  if (!answer.url.empty()) body.set("url", answer.url);
  return {answer.status, stringify(body)};
}

HttpResponse webhook(const ServeParts& parts, const HttpRequest& request) {
  IntakeRequest delivery;
  delivery.event = request.header("x-github-event");
  delivery.delivery = request.header("x-github-delivery");
  delivery.signature = request.header("x-hub-signature-256");
  delivery.body = request.body;
  const auto answer = parts.intake.accept_webhook(delivery);
  if (answer.status >= 400) parts.metrics.count_rejected(answer.status);
  return intake_response(answer);
}

// A positive integer, or nullopt for anything else ("12x", "-1", "").
std::optional<std::int64_t> positive(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1) return std::nullopt;
  return value;
}

HttpResponse list_runs(RunStore& store, const HttpRequest& request) {
  std::int64_t limit = 50;
  if (const auto given = request.query.find("limit"); given != request.query.end()) {
    const auto parsed = positive(given->second);
    if (!parsed || *parsed > 1000) return json_error(400, "limit must be a number from 1 to 1000");
    limit = *parsed;
  }
  const auto runs = store.list(static_cast<int>(limit));
  if (!runs) return json_error(500, runs.error().message);
  return {200, runs_to_json(runs.value())};
}

// The run named by the path's {id}: a 400 for a bad id, a 404 for a missing run.
struct FoundRun {
  std::optional<RunRecord> run;
  HttpResponse error;
};

FoundRun find_run(RunStore& store, const HttpRequest& request) {
  const std::string& text = request.params.at("id");
  const auto id = positive(text);
  if (!id) return {std::nullopt, json_error(400, "run id must be a positive number, not '" + text + "'")};
  auto run = store.get(*id);
  if (!run) return {std::nullopt, json_error(500, run.error().message)};
  if (!run.value()) return {std::nullopt, json_error(404, "no run " + text)};
  return {std::move(*run.value()), {}};
}

HttpResponse get_run(RunStore& store, const HttpRequest& request) {
  const auto found = find_run(store, request);
  if (!found.run) return found.error;
  // The API always carries `stages`, [] before the run has any.
  Poco::JSON::Object::Ptr json = run_to_json(*found.run);
  if (!json->has("stages")) json->set("stages", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
  return {200, stringify(*json)};
}

// The log from byte `offset` on (?offset=N lets a client follow it); "" before the run has one.
HttpResponse get_log(const ServeParts& parts, const HttpRequest& request) {
  const auto found = find_run(parts.store, request);
  if (!found.run) return found.error;
  std::int64_t offset = 0;
  if (const auto given = request.query.find("offset"); given != request.query.end()) {
    const auto parsed = given->second == "0" ? std::optional<std::int64_t>(0) : positive(given->second);
    if (!parsed) return json_error(400, "offset must be a number of bytes, not '" + given->second + "'");
    offset = *parsed;
  }
  std::ifstream in(run_log_path(parts.config.data_dir, found.run->id), std::ios::binary);
  std::string text;
  if (in && in.seekg(offset))
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return {200, std::move(text), "text/plain; charset=utf-8"};
}

// A write must carry one of the agent's tokens; compared in constant time.
std::optional<HttpResponse> refuse_write(const ServeParts& parts, const HttpRequest& request) {
  const std::string header = request.header("authorization");
  const std::string scheme = "Bearer ";
  if (header.empty())
    return json_error(401, "this needs an API token: send Authorization: Bearer <api token>");
  if (header.compare(0, scheme.size(), scheme) != 0)
    return json_error(401, "Authorization must be 'Bearer <api token>'");
  const std::string token = header.substr(scheme.size());
  for (const auto& accepted : parts.write_tokens) {
    if (util::constant_time_equal(accepted, token)) return std::nullopt;
  }
  return json_error(
      403, "the API token is not this agent's (writes need the token of api_token_file or api_token_env)");
}

HttpResponse answer(int status, const std::string& result, const std::string& reason,
                    std::optional<std::int64_t> run = std::nullopt, const std::string& url = "") {
  return intake_response({status, result, reason, run, url});
}

HttpResponse rerun(const ServeParts& parts, const HttpRequest& request) {
  if (auto refused = refuse_write(parts, request)) return *refused;
  const auto found = find_run(parts.store, request);
  if (!found.run) return found.error;
  const RunRecord& run = *found.run;
  if (run.sha.empty()) {
    return json_error(409, "run " + std::to_string(run.id) + " ran in " + run.repo +
                               ", a folder that is not a git repository: there is no commit to run again");
  }
  const NewRun again{run.repo, run.ref, run.branch,    run.sha, run.pipeline,
                     "rerun",  run.id,  run.repo_name, true};
  const auto id = parts.store.enqueue_run(again);
  if (!id) return json_error(500, id.error().message);
  parts.scheduler.notify_queued();
  return answer(202, "queued", "rerun of run " + std::to_string(run.id), id.value(),
                run_url(parts.config, id.value()));
}

HttpResponse cancel(const ServeParts& parts, const HttpRequest& request) {
  if (auto refused = refuse_write(parts, request)) return *refused;
  const auto found = find_run(parts.store, request);
  if (!found.run) return found.error;
  const auto id = found.run->id;
  const std::string reason = "cancelled through the API";
  if (found.run->status == RunStatus::queued) {
    const auto cancelled = parts.store.cancel_queued(id, reason);
    if (!cancelled) return json_error(500, cancelled.error().message);
    if (cancelled.value()) return answer(200, "cancelled", reason, id);
    // It was taken off the queue meanwhile: cancel it as a running run.
  }
  switch (parts.scheduler.stop_run(id, RunEnding{RunStatus::cancelled, reason})) {
    case StopAnswer::stopping:
      return answer(202, "cancelling", "its running step is being stopped", id);
    case StopAnswer::after_deploy:
      return answer(202, "cancelling", "it stops when its deploy stage has ended: a deploy always finishes",
                    id);
    case StopAnswer::not_here:
      break;
  }
  const auto now = parts.store.get(id);
  if (now && now.value() && is_final(now.value()->status)) {
    return json_error(
        409, "run " + std::to_string(id) + " has already ended (" + to_string(now.value()->status) + ")");
  }
  return json_error(409,
                    "run " + std::to_string(id) +
                        " is run by another turnout process (turnout run), not this agent: stop it there");
}

// The app named by the path's {app}: a 404 for one never deployed here.
util::Result<AppDeploy> find_app(const ServeParts& parts, const HttpRequest& request) {
  const std::string& name = request.params.at("app");
  const auto apps = steps::deploy::list_apps(parts.config.data_dir);
  if (std::find(apps.begin(), apps.end(), name) == apps.end())
    return util::fail("no app '" + name + "' has been deployed by this agent", util::ErrorKind::not_found);
  return load_app_deploy(parts.config.data_dir, name);
}

HttpResponse app_error(const util::Error& error) {
  return json_error(error.kind == util::ErrorKind::not_found ? 404 : 500, error.message);
}

HttpResponse list_apps(const ServeParts& parts) {
  Poco::JSON::Array all;
  for (const auto& name : steps::deploy::list_apps(parts.config.data_dir)) {
    auto app = load_app_deploy(parts.config.data_dir, name);
    if (app) all.add(app_status_json(app.value()));
  }
  std::ostringstream text;
  all.stringify(text);
  return {200, text.str()};
}

HttpResponse get_app(const ServeParts& parts, const HttpRequest& request) {
  const auto app = find_app(parts, request);
  if (!app) return app_error(app.error());
  return {200, stringify(*app_status_json(app.value()))};
}

// The repository of the run that deployed `slot` reports the rollback as a deployment.
void report_rollback(const ServeParts& parts, const AppDeploy& app, const std::string& slot) {
  const auto found = app.state.slots.find(slot);
  if (parts.reporting == nullptr || found == app.state.slots.end()) return;
  const auto run_id = positive(found->second.run_id);
  const auto run = run_id ? parts.store.get(*run_id) : util::Result<std::optional<RunRecord>>(std::nullopt);
  if (!run || !run.value() || run.value()->repo_name.empty()) return;
  parts.reporting->rolled_back(run.value()->repo_name, app.state.app, found->second.sha, "the agent's API");
}

// Synchronous: a rollback to a running slot takes one proxy reload; one that must start the
// slot first takes its health checks, and the caller wants to know how it ended.
HttpResponse rollback(const ServeParts& parts, const HttpRequest& request) {
  if (auto refused = refuse_write(parts, request)) return *refused;
  const auto app = find_app(parts, request);
  if (!app) return app_error(app.error());
  const std::string& name = app.value().state.app;
  Poco::JSON::Array::Ptr lines = new Poco::JSON::Array;
  const auto log = masked_log(app.value(), [&](const std::string& line) {
    spdlog::info("app {}: {}", name, line);
    lines->add(line);
  });
  const steps::CancelToken never;
  spdlog::info("app {}: rollback asked through the API", name);
  const auto outcome = roll_back(app.value(), never, log);
  Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
  body.set("result", outcome.ok ? "rolled back" : "failed");
  const std::string reason = masked(app.value(), outcome.reason);
  if (!outcome.ok) body.set("reason", reason);
  body.set("live", outcome.live.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(outcome.live));
  body.set("log", lines);
  if (!outcome.ok) spdlog::warn("app {}: rollback failed: {}", name, reason);
  if (outcome.ok) report_rollback(parts, app.value(), outcome.live);
  return {outcome.ok ? 200 : 409, stringify(body)};
}

HttpResponse metrics(const ServeParts& parts) {
  const auto stats = parts.store.stats();
  if (!stats) return json_error(500, stats.error().message);
  return {200, parts.metrics.render(stats.value()), "text/plain; version=0.0.4; charset=utf-8"};
}

}  // namespace

void add_serve_routes(Router& router, const ServeParts& parts) {
  router.add("POST", "/webhook", [&parts](const HttpRequest& request) { return webhook(parts, request); });
  router.add("GET", "/healthz", [](const HttpRequest&) { return HttpResponse{200, R"({"status":"ok"})"}; });
  router.add("GET", "/metrics", [&parts](const HttpRequest&) { return metrics(parts); });
  router.add("GET", "/api/runs",
             [&parts](const HttpRequest& request) { return list_runs(parts.store, request); });
  router.add("GET", "/api/runs/{id}",
             [&parts](const HttpRequest& request) { return get_run(parts.store, request); });
  router.add("GET", "/api/runs/{id}/log",
             [&parts](const HttpRequest& request) { return get_log(parts, request); });
  router.add("POST", "/api/runs/{id}/rerun",
             [&parts](const HttpRequest& request) { return rerun(parts, request); });
  router.add("POST", "/api/runs/{id}/cancel",
             [&parts](const HttpRequest& request) { return cancel(parts, request); });
  router.add("GET", "/api/apps", [&parts](const HttpRequest&) { return list_apps(parts); });
  router.add("GET", "/api/apps/{app}",
             [&parts](const HttpRequest& request) { return get_app(parts, request); });
  router.add("POST", "/api/apps/{app}/rollback",
             [&parts](const HttpRequest& request) { return rollback(parts, request); });
}

}  // namespace turnout::agent
