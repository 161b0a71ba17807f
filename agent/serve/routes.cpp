#include "agent/serve/routes.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <sstream>

#include "agent/apps/app_status.h"
#include "agent/apps/hand_operations.h"
#include "agent/http/byte_range.h"
#include "agent/metrics/feed_metrics.h"
#include "agent/run/run_json.h"
#include "agent/run/run_log.h"
#include "agent/serve/live_log.h"
#include "agent/webhook/delivery_headers.h"
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

// Answered without a thread waiting on the disk: the answer comes once the store's group commit
// has the delivery (WebhookIntake::accept_webhook's asynchronous form).
void webhook(const ServeParts& parts, const HttpRequest& request, const Respond& respond) {
  const auto delivery =
      read_delivery([&request](const std::string& name) { return request.header(name); }, request.body);
  parts.intake.accept_webhook(delivery, [&parts, respond](const IntakeAnswer& answer) {
    if (answer.status >= 400) parts.metrics.count_rejected(answer.status);
    respond(intake_response(answer));
  });
}

// A positive integer, or nullopt for anything else ("12x", "-1", "").
std::optional<std::int64_t> positive(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1) return std::nullopt;
  return value;
}

HttpResponse list_runs(RunHistory& store, const HttpRequest& request) {
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

// The path's {id}; nullopt when it is not a run id (bad_id() answers that).
std::optional<std::int64_t> run_id(const HttpRequest& request) { return positive(request.params.at("id")); }

HttpResponse bad_id(const HttpRequest& request) {
  return json_error(400, "run id must be a positive number, not '" + request.params.at("id") + "'");
}

// The 404 of a run the path names and the store has not.
HttpResponse no_run(const HttpRequest& request) {
  return json_error(404, "no run " + request.params.at("id"));
}

// The run named by the path's {id}: a 400 for a bad id, a 404 for a missing run.
struct FoundRun {
  std::optional<RunRecord> run;
  HttpResponse error;
};

FoundRun find_run(RunHistory& store, const HttpRequest& request) {
  const auto id = run_id(request);
  if (!id) return {std::nullopt, bad_id(request)};
  auto run = store.get(*id);
  if (!run) return {std::nullopt, json_error(500, run.error().message)};
  if (!run.value()) return {std::nullopt, no_run(request)};
  return {std::move(*run.value()), {}};
}

HttpResponse get_run(RunHistory& store, const HttpRequest& request) {
  const auto found = find_run(store, request);
  if (!found.run) return found.error;
  // The API always carries `stages`, [] before the run has any.
  Poco::JSON::Object::Ptr json = run_to_json(*found.run);
  if (!json->has("stages")) json->set("stages", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
  return {200, stringify(*json)};
}

// What a response of the log holds at most at a time.
constexpr std::int64_t kLogPiece = 64 * 1024;

const std::string kText = "text/plain; charset=utf-8";

// Bytes first..first+length-1 of `log`, one piece at a time.
BodyPieces log_pieces(std::shared_ptr<const RunLogReader> log, std::int64_t first, std::int64_t length) {
  return {length, [log = std::move(log), at = first, end = first + length](std::string& piece) mutable {
            if (at >= end) return false;
            const auto read = log->read(at, static_cast<std::size_t>(std::min(kLogPiece, end - at)), piece);
            if (!read) spdlog::warn("{}", read.error().message);
            if (!read || piece.empty()) return false;
            at += static_cast<std::int64_t>(piece.size());
            return true;
          }};
}

// The log as `range` (a Range header, "" for none) asks, else from byte `offset` on.
HttpResponse serve_log(std::shared_ptr<const RunLogReader> log, std::int64_t offset, const std::string& range,
                       std::int64_t id) {
  const auto size = log->size();
  const auto asked = resolve_range(range, size);
  if (asked.kind == ByteRange::Kind::unsatisfiable) {
    auto refused = json_error(416, "the range '" + range + "' is outside the log of run " +
                                       std::to_string(id) + " (" + std::to_string(size) + " bytes)");
    refused.headers = {{"Content-Range", "bytes */" + std::to_string(size)}};
    return refused;
  }
  HttpResponse answer{200, "", kText, {{"Accept-Ranges", "bytes"}}};
  if (asked.kind == ByteRange::Kind::part) {
    answer.status = 206;
    answer.headers.emplace_back("Content-Range", "bytes " + std::to_string(asked.first) + "-" +
                                                     std::to_string(asked.last) + "/" + std::to_string(size));
    answer.pieces = log_pieces(std::move(log), asked.first, asked.last - asked.first + 1);
    return answer;
  }
  const auto first = std::min(offset, size);
  answer.pieces = log_pieces(std::move(log), first, size - first);
  return answer;
}

// `?follow=1`: the log as the run writes it, until the run has ended; as server-sent events
// when the client asks for them (an EventSource, which resumes from its Last-Event-ID).
HttpResponse follow(const ServeParts& parts, std::int64_t id, std::int64_t offset, bool events) {
  RunEnded ended = [&runs = parts.runs, id] {
    const auto run = runs.get(id);
    return !run || !run.value() || is_final(run.value()->status);
  };
  HttpResponse answer{200, "", events ? "text/event-stream" : kText};
  // Proxies (nginx) would otherwise hold the stream back to fill their buffers.
  answer.headers = {{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}};
  answer.live = follow_log(parts.config.data_dir, id, offset,
                           events ? LiveLogFormat::event_stream : LiveLogFormat::text, std::move(ended));
  return answer;
}

// Where a log is read from: `?offset=`, else an EventSource's Last-Event-ID, else 0.
util::Result<std::int64_t> offset_of(const HttpRequest& request) {
  std::string given = request.header("last-event-id");
  if (const auto query = request.query.find("offset"); query != request.query.end()) given = query->second;
  if (given.empty() || given == "0") return std::int64_t{0};
  if (const auto parsed = positive(given)) return *parsed;
  return util::fail("offset must be a number of bytes, not '" + given + "'");
}

// The log from byte `offset` on (?offset=N lets a client follow it), or the bytes a Range
// header asks for (it wins over an offset); "" before the run has one. `?follow=1` streams it.
HttpResponse get_log(const ServeParts& parts, const HttpRequest& request) {
  const auto found = find_run(parts.runs, request);
  if (!found.run) return found.error;
  const auto offset = offset_of(request);
  if (!offset) return json_error(400, offset.error().message);
  const auto follow_asked = request.query.find("follow");
  if (follow_asked != request.query.end() && follow_asked->second != "0") {
    if (follow_asked->second != "1")
      return json_error(400, "follow must be 1 or 0, not '" + follow_asked->second + "'");
    const bool events = request.header("accept").find("text/event-stream") != std::string::npos;
    return follow(parts, found.run->id, offset.value(), events);
  }
  auto log = RunLogReader::open(parts.config.data_dir, found.run->id);
  if (log) return serve_log(std::move(log.value()), offset.value(), request.header("range"), found.run->id);
  if (log.error().kind == util::ErrorKind::not_found) return {200, "", kText};
  spdlog::warn("{}", log.error().message);
  return json_error(log.error().kind == util::ErrorKind::denied ? 403 : 500, log.error().message);
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
  const auto accepted_tokens = parts.write_tokens.get();
  for (const auto& accepted : *accepted_tokens) {
    if (util::constant_time_equal(accepted, token)) return std::nullopt;
  }
  return json_error(
      403, "the API token is not this agent's (writes need the token of api_token_file or api_token_env)");
}

// A read of the API is open with `dashboard: {read: open}`; with `read: session` (the default) it
// needs what a page needs, a dashboard session (the pages' scripts read the API with it), or a
// token as a write does: the API shows what the pages show.
std::optional<HttpResponse> refuse_read(const ServeParts& parts, const HttpRequest& request) {
  if (parts.config.dashboard.read_open) return std::nullopt;
  if (parts.signed_in != nullptr && *parts.signed_in && (*parts.signed_in)(request)) return std::nullopt;
  if (request.header("authorization").empty())
    return json_error(401,
                      "reading the API needs Authorization: Bearer <api token> or a dashboard session "
                      "(dashboard: {read: session}; read: open opens it)");
  return refuse_write(parts, request);
}

// `handler`, for a request that refuse_read lets through.
HttpHandler read_route(const ServeParts& parts, HttpHandler handler) {
  return [&parts, handler = std::move(handler)](const HttpRequest& request) {
    if (auto refused = refuse_read(parts, request)) return *refused;
    return handler(request);
  };
}

HttpResponse answer(int status, const std::string& result, const std::string& reason,
                    std::optional<std::int64_t> run = std::nullopt, const std::string& url = "") {
  return intake_response({status, result, reason, run, url});
}

HttpResponse rerun(const ServeParts& parts, const HttpRequest& request) {
  if (auto refused = refuse_write(parts, request)) return *refused;
  const auto id = run_id(request);
  if (!id) return bad_id(request);
  const auto done = parts.scheduler.rerun(*id);
  switch (done.result) {
    case RerunResult::queued:
      return answer(202, "queued", done.reason, done.run, run_url(parts.config, done.run));
    case RerunResult::no_such_run:
      return no_run(request);
    case RerunResult::no_commit:
      return json_error(409, done.reason);
    case RerunResult::failed:
      break;
  }
  return json_error(500, done.reason);
}

HttpResponse cancel(const ServeParts& parts, const HttpRequest& request) {
  if (auto refused = refuse_write(parts, request)) return *refused;
  const auto id = run_id(request);
  if (!id) return bad_id(request);
  const auto done = parts.scheduler.cancel(*id, "cancelled through the API");
  switch (done.result) {
    case CancelResult::cancelled:
      return answer(200, "cancelled", done.reason, *id);
    case CancelResult::stopping:
      return answer(202, "cancelling", done.reason, *id);
    case CancelResult::no_such_run:
      return no_run(request);
    case CancelResult::ended:
    case CancelResult::elsewhere:
      return json_error(409, done.reason);
    case CancelResult::failed:
      break;
  }
  return json_error(500, done.reason);
}

// A write's argument `name` (a trigger's branch, a switch's slot): `?name=` or a JSON body's
// "name"; nullopt when neither has it (or the body is not such JSON).
std::optional<std::string> asked(const HttpRequest& request, const std::string& name) {
  if (const auto query = request.query.find(name); query != request.query.end()) return query->second;
  if (request.body.empty()) return std::nullopt;
  try {
    const auto body = Poco::JSON::Parser().parse(request.body).extract<Poco::JSON::Object::Ptr>();
    if (!body || !body->has(name) || !body->get(name).isString()) return std::nullopt;
    return body->getValue<std::string>(name);
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

HttpResponse trigger(const ServeParts& parts, const HttpRequest& request) {
  if (auto refused = refuse_write(parts, request)) return *refused;
  const auto branch = asked(request, "branch");
  if (!branch) return json_error(400, R"(name the branch: ?branch=main, or a JSON body {"branch":"main"})");
  const auto repo = request.params.at("owner") + "/" + request.params.at("repo");
  const auto done = parts.scheduler.trigger(repo, *branch);
  switch (done.result) {
    case TriggerResult::queued:
      return answer(202, "queued", done.reason, done.run, run_url(parts.config, done.run));
    case TriggerResult::unknown_repo:
      return json_error(404, done.reason);
    case TriggerResult::refused:
      return json_error(400, done.reason);
    case TriggerResult::no_url:
      return json_error(409, done.reason);
    case TriggerResult::failed:
      break;
  }
  return json_error(500, done.reason);
}

const steps::deploy::TrafficFeed* traffic(const ServeParts& parts) {
  return parts.feed != nullptr ? &parts.feed->feed() : nullptr;
}

HttpResponse list_apps(const ServeParts& parts) {
  std::ostringstream text;
  all_apps_status_json(parts.config.data_dir, traffic(parts))->stringify(text);
  return {200, text.str()};
}

// A 404 for an app never deployed here (the path's {app} names it).
HttpResponse get_app(const ServeParts& parts, const HttpRequest& request) {
  const auto status =
      deployed_app_status_json(parts.config.data_dir, request.params.at("app"), traffic(parts));
  if (!status)
    return json_error(status.error().kind == util::ErrorKind::not_found ? 404 : 500, status.error().message);
  return {200, stringify(*status.value())};
}

// The body of a hand operation that was tried: how it ended (`done_as` when done), the live
// slot, what it said.
std::string hand_body(const HandAnswer& done, const char* done_as) {
  Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
  body.set("result", done.ok() ? done_as : "failed");
  if (!done.ok()) body.set("reason", done.reason);
  body.set("live", done.live ? Poco::Dynamic::Var(std::string(to_string(*done.live))) : Poco::Dynamic::Var());
  Poco::JSON::Array::Ptr lines = new Poco::JSON::Array;
  for (const auto& line : done.log) lines->add(line);
  body.set("log", lines);
  return stringify(body);
}

// The status and body of a hand operation's answer.
HttpResponse hand_response(const HandAnswer& done, const char* done_as) {
  switch (done.result) {
    case HandResult::done:
      return {200, hand_body(done, done_as)};
    case HandResult::no_such_app:
      return json_error(404, done.reason);
    case HandResult::failed:
      return {409, hand_body(done, done_as)};
    case HandResult::unreadable:
      break;
  }
  return json_error(500, done.reason);
}

// Synchronous: a rollback to a running slot takes one proxy switch; one that must start the
// slot first takes its health checks, and the caller wants to know how it ended.
HttpResponse rollback(const ServeParts& parts, const HttpRequest& request) {
  if (auto refused = refuse_write(parts, request)) return *refused;
  return hand_response(served_rollback(parts.config.data_dir, request.params.at("app"), parts.reporting,
                                       parts.runs, "the agent's API"),
                       "rolled back");
}

// As `turnout deploy switch SLOT`: synchronous like a rollback.
HttpResponse switch_slot(const ServeParts& parts, const HttpRequest& request) {
  if (auto refused = refuse_write(parts, request)) return *refused;
  const auto name = asked(request, "slot");
  const auto slot = steps::deploy::parse_slot(name.value_or(""));
  if (!slot) return json_error(400, R"(name the slot: ?slot=green, or a JSON body {"slot":"green"})");
  return hand_response(
      served_switch(parts.config.data_dir, request.params.at("app"), *slot, "the agent's API"), "switched");
}

// As `turnout deploy promote|abort`: answers once the canary's deploy took the order.
HttpResponse order_canary(const ServeParts& parts, const HttpRequest& request,
                          steps::deploy::CanaryOrder order) {
  if (auto refused = refuse_write(parts, request)) return *refused;
  return hand_response(
      hand_canary_order(parts.config.data_dir, request.params.at("app"), order, "the agent's API"),
      order == steps::deploy::CanaryOrder::promote ? "promoted" : "aborted");
}

HttpResponse metrics(const ServeParts& parts) {
  const auto stats = parts.counter.stats();
  if (!stats) return json_error(500, stats.error().message);
  std::vector<SlotSample> slots;
  for (const auto& slot : all_slots_health(parts.config.data_dir))
    slots.push_back({slot.app, steps::deploy::to_string(slot.slot), slot.live, slot.alive, slot.healthy,
                     slot.usage, slot.weight});
  std::string text = parts.metrics.render(stats.value(), slots);
  if (parts.feed != nullptr) {
    const auto& feed = parts.feed->feed();
    text += render_feed_metrics({parts.feed->listening(), feed.window_span(),
                                 feed.figures(steps::deploy::TrafficFeed::Clock::now()), feed.counts()});
  }
  return {200, text, "text/plain; version=0.0.4; charset=utf-8"};
}

}  // namespace

void add_serve_routes(Router& router, const ServeParts& parts) {
  router.add_async("POST", "/webhook", [&parts](const HttpRequest& request, const Respond& respond) {
    webhook(parts, request, respond);
  });
  router.add("GET", "/healthz", [](const HttpRequest&) { return HttpResponse{200, R"({"status":"ok"})"}; });
  router.add("GET", "/metrics", [&parts](const HttpRequest&) { return metrics(parts); });
  router.add("GET", "/api/runs", read_route(parts, [&parts](const HttpRequest& request) {
               return list_runs(parts.runs, request);
             }));
  router.add("GET", "/api/runs/{id}", read_route(parts, [&parts](const HttpRequest& request) {
               return get_run(parts.runs, request);
             }));
  router.add("GET", "/api/runs/{id}/log",
             read_route(parts, [&parts](const HttpRequest& request) { return get_log(parts, request); }));
  router.add("POST", "/api/runs/{id}/rerun",
             [&parts](const HttpRequest& request) { return rerun(parts, request); });
  router.add("POST", "/api/runs/{id}/cancel",
             [&parts](const HttpRequest& request) { return cancel(parts, request); });
  router.add("POST", "/api/repos/{owner}/{repo}/runs",
             [&parts](const HttpRequest& request) { return trigger(parts, request); });
  router.add("GET", "/api/apps",
             read_route(parts, [&parts](const HttpRequest&) { return list_apps(parts); }));
  router.add("GET", "/api/apps/{app}",
             read_route(parts, [&parts](const HttpRequest& request) { return get_app(parts, request); }));
  router.add("POST", "/api/apps/{app}/rollback",
             [&parts](const HttpRequest& request) { return rollback(parts, request); });
  router.add("POST", "/api/apps/{app}/switch",
             [&parts](const HttpRequest& request) { return switch_slot(parts, request); });
  router.add("POST", "/api/apps/{app}/promote", [&parts](const HttpRequest& request) {
    return order_canary(parts, request, steps::deploy::CanaryOrder::promote);
  });
  router.add("POST", "/api/apps/{app}/abort", [&parts](const HttpRequest& request) {
    return order_canary(parts, request, steps::deploy::CanaryOrder::abort);
  });
}

}  // namespace turnout::agent
