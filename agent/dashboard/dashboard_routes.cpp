#include "agent/dashboard/dashboard_routes.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "agent/apps/hand_operations.h"
#include "agent/client/agent_presence.h"
#include "agent/dashboard/assets.h"
#include "agent/dashboard/form_fields.h"
#include "agent/dashboard/pages.h"
#include "agent/dashboard/sessions.h"
#include "util/hmac.h"
#include "util/masked_token.h"
#include "util/percent_encoding.h"

namespace turnout::agent {

namespace {

const char kCookie[] = "turnout_session";
// The sign-in form's own CSRF token, as a cookie and a field that must match (there is no session
// yet): a form posted from another site has neither.
const char kLoginCookie[] = "turnout_login";

// Pages run no inline script and load nothing from elsewhere; no site may frame them.
const std::vector<std::pair<std::string, std::string>> kPageHeaders{
    {"Content-Security-Policy",
     "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "same-origin"},
    {"Cache-Control", "no-store"}};

// What every dashboard route holds.
struct Dashboard {
  const DashboardParts& parts;
  PageSources sources;
  Sessions sessions;
};

std::optional<Session> session_of(Dashboard& board, const HttpRequest& request) {
  return board.sessions.find(cookie_value(request.header("cookie"), kCookie));
}

HttpResponse html(int status, std::string body) {
  HttpResponse response{status, std::move(body), "text/html; charset=utf-8"};
  response.headers = kPageHeaders;
  return response;
}

HttpResponse render(const PageAnswer& page, const std::optional<Session>& session) {
  PageData data = page.data;
  // Masked anew for each page: a compressed page never repeats the token (util/masked_token).
  const std::string csrf = session ? util::mask_token(session->csrf, make_local_token()) : "";
  data.set("csrf", csrf);
  data.set("signed_in", session.has_value());
  return html(page.status,
              render_page(page.template_name, data, {page.title, csrf, session.has_value(), page.nav}));
}

HttpResponse redirect(const std::string& to) {
  HttpResponse response{303, "", "text/plain; charset=utf-8"};
  response.headers = {{"Location", to}, {"Cache-Control", "no-store"}};
  return response;
}

// The page asked for, to come back to after signing in.
std::string asked_for(const HttpRequest& request) {
  std::string target = request.path;
  char separator = '?';
  for (const auto& [key, value] : request.query) {
    target += separator + util::percent_encode(key) + "=" + util::percent_encode(value);
    separator = '&';
  }
  return target;
}

// Only a plain path of this site, else "/": `//host` or `/\host` would send the person
// elsewhere, and so would `/\t/host`, since browsers drop a tab or a newline inside a URL (and
// read `\` as `/`). A path the dashboard made (asked_for) is percent-encoded: printable ASCII.
std::string safe_next(const std::string& next) {
  if (next.empty() || next[0] != '/' || (next.size() > 1 && next[1] == '/')) return "/";
  for (const char c : next) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || c == '\\') return "/";
  }
  return next;
}

// A page: shown when reading is open or a session is there, else the way to sign in.
HttpHandler page(Dashboard& board, std::function<PageAnswer(const HttpRequest&)> build) {
  return [&board, build = std::move(build)](const HttpRequest& request) {
    const auto session = session_of(board, request);
    if (!session && !board.parts.config.dashboard.read_open)
      return redirect("/login?next=" + util::percent_encode(asked_for(request)));
    return render(build(request), session);
  };
}

// A form's POST: done only with a session and its CSRF token; 403 and nothing done otherwise.
HttpHandler form(Dashboard& board, std::function<HttpResponse(const HttpRequest&, const Session&)> act) {
  return [&board, act = std::move(act)](const HttpRequest& request) {
    const auto session = session_of(board, request);
    const auto fields = form_fields(request.body);
    const auto csrf = fields.find("csrf");
    if (!session)
      return render(error_page(403, "Not signed in", "sign in first; nothing was changed"), std::nullopt);
    if (csrf == fields.end() || !csrf_matches(*session, csrf->second))
      return render(error_page(403, "Form expired",
                               "the form's CSRF token is not this session's; nothing was "
                               "changed: reload the page and try again"),
                    session);
    return act(request, *session);
  };
}

// Secure when the browser reaches the agent over TLS: its own, or a proxy's (an https public_url).
std::string cookie(const DashboardParts& parts, const std::string& name, const std::string& value,
                   const std::string& path, int max_age) {
  const bool secure = parts.config.tls.has_value() || parts.config.public_url.rfind("https://", 0) == 0;
  return name + "=" + value + "; Path=" + path + "; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "") +
         "; Max-Age=" + std::to_string(max_age);
}

std::string session_cookie(const DashboardParts& parts, const std::string& value, bool end) {
  return cookie(parts, kCookie, value, "/", end ? 0 : 43200);
}

// The sign-in form, with a fresh CSRF token in its field and in its cookie.
HttpResponse login_form(const DashboardParts& parts, const std::string& next, const std::string& problem,
                        int status) {
  const std::string token = make_local_token();
  PageData data;
  data.set("next", next);
  data.set("login_csrf", util::mask_token(token, make_local_token()));
  if (!problem.empty()) data.set("problem", problem);
  auto form = render({status, "login.mustache", data, "Sign in", ""}, std::nullopt);
  form.headers.emplace_back("Set-Cookie", cookie(parts, kLoginCookie, token, "/login", 3600));
  return form;
}

HttpResponse sign_in(Dashboard& board, const HttpRequest& request) {
  const auto fields = form_fields(request.body);
  const auto token = fields.find("token");
  const auto next_field = fields.find("next");
  const std::string next = safe_next(next_field == fields.end() ? "/" : next_field->second);
  const auto csrf = fields.find("csrf");
  const auto expected = cookie_value(request.header("cookie"), kLoginCookie);
  // Checked before the token, and not counted as a wrong one: nothing was tried.
  const auto given = csrf == fields.end() ? std::nullopt : util::unmask_token(csrf->second);
  if (!given || expected.empty() || !util::constant_time_equal(expected, *given))
    return login_form(board.parts, next,
                      "The sign-in form expired (or came from another site): sign in again.", 403);
  const auto answer = board.sessions.sign_in(token == fields.end() ? "" : token->second);
  if (answer.result == SignIn::throttled) {
    auto refused = login_form(
        board.parts, next,
        "Too many wrong tokens: try again in " + std::to_string(answer.retry_after.count()) + " s.", 429);
    refused.headers.emplace_back("Retry-After", std::to_string(answer.retry_after.count()));
    return refused;
  }
  if (answer.result == SignIn::refused)
    return login_form(board.parts, next, "That is not this agent's API token.", 403);
  auto done = redirect(next);
  done.headers.emplace_back("Set-Cookie", session_cookie(board.parts, answer.session->id, false));
  return done;
}

HttpResponse sign_out(Dashboard& board, const Session& session) {
  board.sessions.sign_out(session.id);
  auto done = redirect("/login");
  done.headers.emplace_back("Set-Cookie", session_cookie(board.parts, "", true));
  return done;
}

std::optional<std::int64_t> path_run(const HttpRequest& request) {
  try {
    const auto id = std::stoll(request.params.at("id"));
    if (id > 0 && std::to_string(id) == request.params.at("id")) return id;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

HttpResponse rerun(Dashboard& board, const HttpRequest& request, const Session& session) {
  const auto id = path_run(request);
  if (!id) return render(error_page(404, "No such run", "no run " + request.params.at("id")), session);
  const auto done = board.parts.scheduler.rerun(*id);
  switch (done.result) {
    case RerunResult::queued:
      spdlog::info("run {}: rerun asked through the dashboard: run {}", *id, done.run);
      return redirect("/runs/" + std::to_string(done.run));
    case RerunResult::no_such_run:
      return render(error_page(404, "No such run", done.reason), session);
    case RerunResult::no_commit:
      return render(error_page(409, "Cannot rerun", done.reason), session);
    case RerunResult::failed:
      break;
  }
  return render(error_page(500, "Rerun failed", done.reason), session);
}

HttpResponse cancel(Dashboard& board, const HttpRequest& request, const Session& session) {
  const auto id = path_run(request);
  if (!id) return render(error_page(404, "No such run", "no run " + request.params.at("id")), session);
  const auto done = board.parts.scheduler.cancel(*id, "cancelled through the dashboard");
  switch (done.result) {
    case CancelResult::cancelled:
    case CancelResult::stopping:
      return redirect("/runs/" + std::to_string(*id));
    case CancelResult::no_such_run:
      return render(error_page(404, "No such run", done.reason), session);
    case CancelResult::ended:
    case CancelResult::elsewhere:
      return render(error_page(409, "Cannot cancel", done.reason), session);
    case CancelResult::failed:
      break;
  }
  return render(error_page(500, "Cancel failed", done.reason), session);
}

// The answer to a hand operation on an app: back to its page when done, else the reason.
HttpResponse hand_answer(const HandAnswer& done, const std::string& name, const std::string& title,
                         const Session& session) {
  if (done.result == HandResult::done) return redirect("/apps/" + util::percent_encode(name));
  if (done.result == HandResult::no_such_app)
    return render(error_page(404, "No such app", done.reason), session);
  return render(error_page(done.result == HandResult::failed ? 409 : 500, title, done.reason), session);
}

HttpResponse rollback(Dashboard& board, const HttpRequest& request, const Session& session) {
  const std::string& name = request.params.at("app");
  const auto& parts = board.parts;
  return hand_answer(
      served_rollback(parts.config.data_dir, name, parts.reporting, parts.runs, "the dashboard"), name,
      "Rollback failed", session);
}

HttpResponse switch_slot(Dashboard& board, const HttpRequest& request, const Session& session) {
  const std::string& name = request.params.at("app");
  const auto fields = form_fields(request.body);
  const auto field = fields.find("slot");
  const auto slot = steps::deploy::parse_slot(field == fields.end() ? "" : field->second);
  if (!slot)
    return render(error_page(400, "Cannot switch", "the form names no slot (blue or green)"), session);
  return hand_answer(served_switch(board.parts.config.data_dir, name, *slot, "the dashboard"), name,
                     "Switch failed", session);
}

bool ends_with(const std::string& text, std::string_view end) {
  return text.size() >= end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0;
}

// The CSS, JavaScript and icon the pages load; templates are not served.
HttpResponse asset(const HttpRequest& request) {
  const auto& name = request.params.at("name");
  const auto bytes = embedded_asset(name);
  const char* type = ends_with(name, ".css")   ? "text/css; charset=utf-8"
                     : ends_with(name, ".js")  ? "text/javascript; charset=utf-8"
                     : ends_with(name, ".svg") ? "image/svg+xml"
                                               : nullptr;
  if (!bytes || type == nullptr) return html(404, "no such asset");
  HttpResponse response{200, std::string(*bytes), type};
  response.headers = {{"Cache-Control", "public, max-age=300"}, {"X-Content-Type-Options", "nosniff"}};
  return response;
}

// A path no route has: JSON under /api (the API's own 404), a page everywhere else.
HttpResponse not_found(Dashboard& board, const HttpRequest& request) {
  if (request.path.rfind("/api/", 0) == 0 || request.path == "/api")
    return json_error(404, "no such endpoint: " + request.method + " " + request.path);
  return render(error_page(404, "Not found", "nothing here: " + request.path), session_of(board, request));
}

}  // namespace

DashboardHooks add_dashboard_routes(Router& router, const DashboardParts& parts) {
  // Lives as long as the routes: the router keeps the handlers, which share it.
  // Not movable (its sessions hold a mutex): made in place.
  const std::shared_ptr<Dashboard> board(new Dashboard{
      parts,
      PageSources{parts.config, parts.runs, parts.counter, parts.deliveries, parts.started, parts.feed},
      Sessions(parts.tokens)});
  Dashboard& b = *board;
  const auto keep = [board](HttpHandler handler) {
    return [board, handler = std::move(handler)](const HttpRequest& request) { return handler(request); };
  };
  router.add("GET", "/", keep(page(b, [&b](const HttpRequest&) { return overview_page(b.sources); })));
  router.add("GET", "/runs",
             keep(page(b, [&b](const HttpRequest& r) { return runs_page(b.sources, r.query); })));
  router.add(
      "GET", "/runs/{id}",
      keep(page(b, [&b](const HttpRequest& r) { return run_page(b.sources, r.params.at("id"), r.query); })));
  router.add("GET", "/apps/{app}",
             keep(page(b, [&b](const HttpRequest& r) { return app_page(b.sources, r.params.at("app")); })));
  router.add("GET", "/deliveries",
             keep(page(b, [&b](const HttpRequest& r) { return deliveries_page(b.sources, r.query); })));
  router.add("GET", "/login", keep([&b](const HttpRequest& r) {
               const auto next = r.query.find("next");
               return login_form(b.parts, safe_next(next == r.query.end() ? "/" : next->second), "", 200);
             }));
  router.add("POST", "/login", keep([&b](const HttpRequest& r) { return sign_in(b, r); }));
  router.add("POST", "/logout",
             keep(form(b, [&b](const HttpRequest&, const Session& s) { return sign_out(b, s); })));
  router.add("POST", "/runs/{id}/rerun",
             keep(form(b, [&b](const HttpRequest& r, const Session& s) { return rerun(b, r, s); })));
  router.add("POST", "/runs/{id}/cancel",
             keep(form(b, [&b](const HttpRequest& r, const Session& s) { return cancel(b, r, s); })));
  router.add("POST", "/apps/{app}/rollback",
             keep(form(b, [&b](const HttpRequest& r, const Session& s) { return rollback(b, r, s); })));
  router.add("POST", "/apps/{app}/switch",
             keep(form(b, [&b](const HttpRequest& r, const Session& s) { return switch_slot(b, r, s); })));
  router.add("GET", "/assets/{name}", asset);
  router.set_not_found(keep([&b](const HttpRequest& r) { return not_found(b, r); }));
  return {[board](std::vector<std::string> tokens) { board->sessions.accept(std::move(tokens)); },
          [board](const HttpRequest& request) { return session_of(*board, request).has_value(); }};
}

}  // namespace turnout::agent
