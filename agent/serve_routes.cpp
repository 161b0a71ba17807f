#include "agent/serve_routes.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <charconv>
#include <sstream>

#include "agent/run_json.h"

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

HttpResponse webhook(const WebhookIntake& intake, const HttpRequest& request) {
  IntakeRequest delivery;
  delivery.event = request.header("x-github-event");
  delivery.delivery = request.header("x-github-delivery");
  delivery.signature = request.header("x-hub-signature-256");
  delivery.body = request.body;
  return intake_response(intake.accept_webhook(delivery));
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

HttpResponse get_run(RunStore& store, const HttpRequest& request) {
  const std::string& text = request.params.at("id");
  const auto id = positive(text);
  if (!id) return json_error(400, "run id must be a positive number, not '" + text + "'");
  const auto run = store.get(*id);
  if (!run) return json_error(500, run.error().message);
  if (!run.value()) return json_error(404, "no run " + text);
  // The API always carries `stages`, [] before the run has any.
  Poco::JSON::Object::Ptr json = run_to_json(*run.value());
  if (!json->has("stages")) json->set("stages", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
  return {200, stringify(*json)};
}

}  // namespace

void add_serve_routes(Router& router, const WebhookIntake& intake, RunStore& store) {
  router.add("POST", "/webhook", [&intake](const HttpRequest& request) { return webhook(intake, request); });
  router.add("GET", "/healthz", [](const HttpRequest&) { return HttpResponse{200, R"({"status":"ok"})"}; });
  router.add("GET", "/api/runs", [&store](const HttpRequest& request) { return list_runs(store, request); });
  router.add("GET", "/api/runs/{id}",
             [&store](const HttpRequest& request) { return get_run(store, request); });
}

}  // namespace turnout::agent
