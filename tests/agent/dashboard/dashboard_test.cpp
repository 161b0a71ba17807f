// The dashboard served by a real `turnout serve` over loopback: sign-in, sessions and CSRF, the
// pages and their errors, the forms that rerun and cancel, markup from a push shown as text,
// and refused deliveries listed. The browser's side is in browser_test.cpp.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <algorithm>

#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/agent_server.h"
#include "tests/support/deploy_site.h"
#include "tests/support/http_get.h"
#include "util/percent_encoding.h"

using namespace turnout::test;

namespace {

namespace fs = std::filesystem;

const std::string kToken = "dashboard-test-token";

// A page's answer with the headers a test looks at.
struct Page {
  int status = 0;
  std::string body;
  std::string location;
  std::string cookie;
  std::string csp;
  std::string content_type;
};

Page send(const AgentServer& server, const std::string& method, const std::string& path,
          const std::string& cookie = "", const std::string& form = "") {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(server.port));
  session.setTimeout(Poco::Timespan(60, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!cookie.empty()) request.set("Cookie", cookie);
  if (method == "POST") {
    request.setContentType("application/x-www-form-urlencoded");
    request.setContentLength(static_cast<std::streamsize>(form.size()));
  }
  session.sendRequest(request) << form;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Page page{static_cast<int>(response.getStatus()),
            "",
            response.get("Location", ""),
            response.get("Set-Cookie", ""),
            response.get("Content-Security-Policy", ""),
            response.getContentType()};
  Poco::StreamCopier::copyToString(in, page.body);
  return page;
}

Page get(const AgentServer& server, const std::string& path, const std::string& cookie = "") {
  return send(server, "GET", path, cookie);
}

// The CSRF token a page's forms carry.
std::string csrf_of(const std::string& html) {
  std::smatch found;
  REQUIRE(std::regex_search(html, found, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\"")));
  return found[1];
}

// The sign-in form as a browser gets it: its cookie (`turnout_login=...`) and its CSRF field.
struct LoginForm {
  std::string cookie;
  std::string csrf;
};

LoginForm login_form(const AgentServer& server) {
  const auto page = get(server, "/login?next=%2Fruns");
  REQUIRE(page.status == 200);
  CHECK_THAT(page.cookie, Catch::Contains("HttpOnly") && Catch::Contains("SameSite=Strict"));
  return {page.cookie.substr(0, page.cookie.find(';')), csrf_of(page.body)};
}

// POST /login with `token` and `next` as the form sends them.
Page post_login(const AgentServer& server, const std::string& token, const std::string& next) {
  const auto form = login_form(server);
  return send(server, "POST", "/login", form.cookie,
              "csrf=" + form.csrf + "&token=" + token + "&next=" + next);
}

// Signs in; the `turnout_session=...` to send back.
std::string sign_in(const AgentServer& server) {
  const auto page = post_login(server, kToken, "%2Fruns");
  REQUIRE(page.status == 303);
  CHECK(page.location == "/runs");
  CHECK_THAT(page.cookie, Catch::Contains("HttpOnly") && Catch::Contains("SameSite=Strict"));
  return page.cookie.substr(0, page.cookie.find(';'));
}

std::string pipeline(const std::string& script) {
  return "name: app\nstages:\n  - name: build\n    steps:\n      - name: work\n        run: " + script + "\n";
}

int run_id(const Answer& answer) {
  INFO(answer.body);
  REQUIRE(answer.status == 202);
  return answer.json()->getValue<int>("run");
}

// A push whose commit message and branch-free fields carry markup.
Answer push_with_message(AgentServer& server, const std::string& sha, const std::string& message,
                         const std::string& delivery) {
  auto payload = Poco::JSON::Parser().parse(push_payload(sha)).extract<Poco::JSON::Object::Ptr>();
  payload->getObject("head_commit")->set("message", message);
  std::ostringstream text;
  payload->stringify(text);
  return server.post("push", delivery, text.str());
}

std::size_t count_runs(AgentServer& server) { return server.runs()->size(); }

}  // namespace

TEST_CASE("dashboard: pages need a session, sign-in, CSRF and sign-out", "[integration][dashboard]") {
  AgentServer server("workers: 1\napi_token_file: token\n", {"main"}, false);
  server.dir.write("token", kToken + "\n");
  const auto sha = server.app.commit(".turnout.yml", pipeline("echo built"), "app");
  server.start();
  const int id = run_id(server.push(sha, "d-1"));
  server.wait_until_ended(id);

  // No session: every page sends to the sign-in, which comes back to the page asked for.
  const auto anonymous = get(server, "/runs?status=failed");
  CHECK(anonymous.status == 303);
  CHECK(anonymous.location == "/login?next=" + turnout::util::percent_encode("/runs?status=failed"));
  const auto login = get(server, "/login?next=%2Fruns");
  CHECK(login.status == 200);
  CHECK_THAT(login.body, Catch::Contains("name=\"token\""));
  CHECK_THAT(login.csp, Catch::Contains("default-src 'self'"));

  // A wrong token: 403, no cookie; an open redirect is not followed.
  // Without the sign-in form's own cookie and field (a form posted from another site): 403.
  const auto form = login_form(server);
  CHECK(send(server, "POST", "/login", "", "csrf=" + form.csrf + "&token=" + kToken).status == 403);
  CHECK(send(server, "POST", "/login", form.cookie, "csrf=00&token=" + kToken).status == 403);
  const auto wrong = post_login(server, "nope", "%2F");
  CHECK(wrong.status == 403);
  CHECK_THAT(wrong.cookie, !Catch::Contains("turnout_session"));
  const auto elsewhere = post_login(server, kToken, "%2F%2Fevil.example");
  CHECK(elsewhere.location == "/");
  // Browsers drop a tab or newline inside a URL and read `\` as `/`: `/\t/host` is `//host`.
  for (const char* next : {"%2F%09%2Fevil.example", "%2F%0A%2Fevil.example", "%2F%5Cevil.example",
                           "%2Fruns%5C..%5C%2Fevil.example", "%2F%7F%2Fevil.example", "%2F%C2%A0"})
    CHECK(post_login(server, kToken, next).location == "/");
  CHECK(post_login(server, kToken, "%2Fruns%3Fbranch%3Da%2526b").location == "/runs?branch=a%26b");

  // Served over plain HTTP (no TLS, no https public_url): a Secure cookie would never come back.
  CHECK_THAT(post_login(server, kToken, "%2Fruns").cookie, !Catch::Contains("Secure"));
  const std::string cookie = sign_in(server);
  const auto runs = get(server, "/runs", cookie);
  CHECK(runs.status == 200);
  CHECK_THAT(runs.content_type, Catch::Contains("text/html"));
  CHECK_THAT(runs.csp, Catch::Contains("default-src 'self'"));
  CHECK_THAT(runs.body, Catch::Contains("href=\"/runs/" + std::to_string(id) + "\""));
  const auto run = get(server, "/runs/" + std::to_string(id), cookie);
  CHECK(run.status == 200);
  CHECK_THAT(run.body, Catch::Contains("succeeded") && Catch::Contains("built"));

  // The API's reads follow `read: session`: a session or a token, else 401.
  const std::string api_log = "/api/runs/" + std::to_string(id) + "/log";
  for (const auto& path : {api_log, std::string("/api/runs"), std::string("/api/apps")})
    CHECK(get(server, path).status == 401);
  CHECK(get(server, api_log, cookie).status == 200);
  CHECK(get(server, api_log, "turnout_session=0123abcd").status == 401);
  CHECK(server.get(api_log).status == 200);  // the agent's own token, as the CLI sends it
  CHECK(get(server, "/metrics").status == 200);

  // A form without its CSRF token, or with another, changes nothing.
  const auto before = count_runs(server);
  const std::string rerun = "/runs/" + std::to_string(id) + "/rerun";
  CHECK(send(server, "POST", rerun, cookie, "").status == 403);
  CHECK(send(server, "POST", rerun, cookie, "csrf=0123abcd").status == 403);
  CHECK(send(server, "POST", rerun, "", "csrf=" + csrf_of(run.body)).status == 403);
  CHECK(count_runs(server) == before);

  // Each page carries the token masked anew, so a compressed page never repeats it (BREACH);
  // each of them is taken.
  const auto again = get(server, "/runs/" + std::to_string(id), cookie);
  CHECK(csrf_of(again.body) != csrf_of(run.body));
  CHECK(csrf_of(again.body).size() == 128);

  // With both, the rerun is queued and the page of the new run shows.
  const auto queued = send(server, "POST", rerun, cookie, "csrf=" + csrf_of(again.body));
  REQUIRE(queued.status == 303);
  const std::regex new_run("/runs/([0-9]+)");
  std::smatch found;
  REQUIRE(std::regex_match(queued.location, found, new_run));
  CHECK(std::stoi(found[1]) != id);
  CHECK(count_runs(server) == before + 1);
  server.wait_until_ended(std::stoi(found[1]));

  // Signing out ends the session.
  CHECK(send(server, "POST", "/logout", cookie, "csrf=" + csrf_of(run.body)).status == 303);
  CHECK(get(server, "/runs", cookie).status == 303);
}

TEST_CASE("dashboard: behind an https public_url its cookies are Secure", "[integration][dashboard]") {
  AgentServer server("workers: 1\napi_token_file: token\n", {"main"}, false);
  server.public_url = "https://ci.example.com";
  server.dir.write("token", kToken + "\n");
  server.start();
  CHECK_THAT(get(server, "/login").cookie, Catch::Contains("; Secure"));
  const auto signed_in = post_login(server, kToken, "%2Fruns");
  REQUIRE(signed_in.status == 303);
  CHECK_THAT(signed_in.cookie, Catch::StartsWith("turnout_session=") && Catch::Contains("; Secure"));
}

TEST_CASE("dashboard: bad input is a page with the reason, markup from a push is text",
          "[integration][dashboard]") {
  AgentServer server("workers: 1\napi_token_file: token\ndashboard: { read: open }\n", {"main"}, false);
  server.dir.write("token", kToken + "\n");
  const auto sha = server.app.commit(".turnout.yml", pipeline("echo built"), "app");
  server.start();
  const std::string message = "<script>alert(1)</script> \"><img src=x onerror=alert(2)>\x01 fix";
  const int id = run_id(push_with_message(server, sha, message, "x-1"));
  server.wait_until_ended(id);

  // read: open shows pages without a session, and the API's reads, but a form still needs one.
  CHECK(get(server, "/api/runs/" + std::to_string(id) + "/log").status == 200);
  const auto overview = get(server, "/");
  CHECK(overview.status == 200);
  CHECK_THAT(overview.body, Catch::Contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK_THAT(overview.body, !Catch::Contains("<script>alert") && !Catch::Contains("<img src=x"));
  CHECK_THAT(overview.body, !Catch::Contains("\x01"));
  const auto run = get(server, "/runs/" + std::to_string(id));
  CHECK_THAT(run.body, Catch::Contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
  // Each step with what its processes used, as its end line in the log says it.
  CHECK_THAT(run.body, Catch::Matches(R"([\s\S]*exit 0 · cpu \d+ ms, peak memory \d+M</span>[\s\S]*)"));
  CHECK(send(server, "POST", "/runs/" + std::to_string(id) + "/rerun", "", "csrf=x").status == 403);

  const auto bad_status = get(server, "/runs?status=fine");
  CHECK(bad_status.status == 400);
  CHECK_THAT(bad_status.body, Catch::Contains("not &apos;fine&apos;"));
  CHECK(get(server, "/runs?before=abc").status == 400);
  CHECK(get(server, "/runs?colour=red").status == 400);
  CHECK(get(server, "/runs/" + std::to_string(id) + "?from=-4").status == 400);
  const auto missing = get(server, "/runs/9999");
  CHECK(missing.status == 404);
  CHECK_THAT(missing.content_type, Catch::Contains("text/html"));
  CHECK(get(server, "/apps/nothing-here").status == 404);
  CHECK(get(server, "/no/such/page").status == 404);
  const auto api = get(server, "/api/nothing");
  CHECK(api.status == 404);
  CHECK_THAT(api.content_type, Catch::Contains("application/json"));

  // Filters find the run; another branch finds none.
  CHECK_THAT(get(server, "/runs?repo=woodpecker-ci%2Fwoodpecker&status=succeeded").body,
             Catch::Contains("/runs/" + std::to_string(id)));
  CHECK_THAT(get(server, "/runs?branch=elsewhere").body,
             !Catch::Contains("/runs/" + std::to_string(id) + "\""));
}

TEST_CASE("dashboard: a long log opens on its tail, its lines numbered as in the whole log",
          "[integration][dashboard]") {
  AgentServer server("workers: 1\napi_token_file: token\ndashboard: { read: open }\n", {"main"}, false);
  server.dir.write("token", kToken + "\n");
  // 6,000 lines of about 60 bytes with their stamps: far more than the page's first window.
  const auto sha = server.app.commit(".turnout.yml",
                                     pipeline("'for i in $(seq 1 6000); do echo \"line $i\"; done'"), "app");
  server.start();
  const int id = run_id(push_with_message(server, sha, "long log", "long-1"));
  server.wait_until_ended(id);
  const auto log = get(server, "/api/runs/" + std::to_string(id) + "/log").body;
  const auto last = log.find("line 6000\n");
  REQUIRE(last != std::string::npos);
  const auto number = std::count(log.begin(), log.begin() + static_cast<std::ptrdiff_t>(last), '\n') + 1;
  const auto page = get(server, "/runs/" + std::to_string(id));
  REQUIRE(page.status == 200);
  CHECK_THAT(page.body, !Catch::Contains("id=\"L1\""));  // the tail, not the whole log
  const auto anchor = "L" + std::to_string(number);
  INFO(anchor);
  CHECK_THAT(page.body, Catch::Contains("id=\"" + anchor + "\"><a class=\"ln\" href=\"#" + anchor + "\">" +
                                        std::to_string(number) + "</a>"));
  CHECK_THAT(page.body, !Catch::Contains("id=\"B"));
}

TEST_CASE("dashboard: refused deliveries are listed without their body", "[integration][dashboard]") {
  AgentServer server("dashboard: { read: open }\n");
  CHECK(server.post("push", "refused-1", push_payload("abc"), std::string("sha256=00")).status == 401);
  // The refusal is written by the log's own thread within half a second.
  std::string page;
  for (int i = 0; i < 100 && page.find("refused-1") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    page = get(server, "/deliveries").body;
  }
  CHECK_THAT(page, Catch::Contains("refused-1") && Catch::Contains("401 rejected"));
  CHECK_THAT(page, !Catch::Contains("woodpecker-ci"));
  // A body larger than the agent takes is refused by the HTTP layer before the route: listed too.
  CHECK(server.raw("POST /webhook HTTP/1.1\r\nHost: ci.test\r\nContent-Type: application/json\r\n"
                   "X-GitHub-Event: push\r\nContent-Length: 300000000\r\n\r\n",
                   false) == 413);
  for (int i = 0; i < 100 && page.find("413 rejected") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    page = get(server, "/deliveries").body;
  }
  CHECK_THAT(page, Catch::Contains("413 rejected") && Catch::Contains("larger than the agent takes"));
}

TEST_CASE("dashboard: the app page shows each slot's last minute of traffic from the feed, and none without",
          "[integration][dashboard][deploy][nginx][feed]") {
  AgentServer server("workers: 1\ndashboard: { read: open }\n", {"main"}, false);
  DeploySite site;
  site.data_dir = server.data();
  server.start();
  DeployKnobs fed;
  fed.feed = true;
  fed.app_env = "  APP_ERRORS: '25'\n";  // every 4th request to / is a 500
  const auto v1 = server.push(server.app.commit(".turnout.yml", site.pipeline("v1", fed), "v1"), "deploy-v1");
  REQUIRE(v1.status == 202);
  REQUIRE(server.wait_until_ended(v1.json()->getValue<int>("run"))->getValue<std::string>("status") ==
          "succeeded");
  REQUIRE(site.serves("v1"));  // the first request
  for (int i = 0; i < 39; ++i) http_get_body(site.nginx->port());
  // The feed's datagrams arrive a moment after the answers.
  std::string page;
  for (int i = 0; i < 400 && page.find("<td>40</td>") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    page = get(server, "/apps/web").body;
  }
  INFO(page);
  const std::string live = turnout::steps::deploy::to_string(*site.state().live);
  const std::string idle = live == std::string("blue") ? "green" : "blue";
  CHECK_THAT(page,
             Catch::Contains("<h2>Traffic <span class=\"muted\">last minute, from nginx's feed</span>"));
  // The split (a meter, and its figure for a reader without one), requests, their 5xx.
  CHECK_THAT(page,
             Catch::Contains("<tr><td>" + live +
                             " (live)</td><td><meter min=\"0\" max=\"1\" value=\"1.0000\" title=\"100% of "
                             "the app's requests\"></meter> 100%</td><td>40</td><td><span class=\"badge "
                             "bad\">25.0%</span> <span class=\"muted\">(10)</span></td><td>"));
  CHECK_THAT(page, Catch::Contains(" ms</td>"));  // p50 and p95 of the live slot
  // The idle slot had no request: zeros, no latency.
  CHECK_THAT(page,
             Catch::Contains("<tr><td>" + idle +
                             " (idle)</td><td><meter min=\"0\" max=\"1\" value=\"0.0000\" title=\"0% of the "
                             "app's requests\"></meter> 0%</td><td>0</td><td><span class=\"badge ok\">0.0%"
                             "</span> <span class=\"muted\">(0)</span></td><td>–</td><td>–</td><td><ol "
                             "class=\"series\"><li title=\"50–60 s ago\">0</li>"));
  // The live slot's last minute, 10 s at a time: its 40 requests and 10 5xx, the newest last.
  const auto row = page.find("<tr><td>" + live + " (live)");
  const auto row_end = page.find("</tr>", row);
  REQUIRE(row_end != std::string::npos);
  const std::string series = page.substr(row, row_end - row);
  CHECK_THAT(series, Catch::Contains("<li title=\"the last 10 s\">"));
  int requests = 0;
  int errors = 0;
  int stretches = 0;
  for (auto at = series.find("<li title=\""); at != std::string::npos;
       at = series.find("<li title=\"", at + 1)) {
    const auto figures = series.find("\">", at) + 2;
    requests += std::stoi(series.substr(figures));
    const auto end = series.find("</li>", figures);
    const auto badge = series.find("<span class=\"badge bad\">", figures);
    if (badge < end) errors += std::stoi(series.substr(badge + 24));
    ++stretches;
  }
  CHECK(stretches == 6);
  CHECK(requests == 40);
  CHECK(errors == 10);

  // The feed turned off: no traffic shown.
  const auto v2 = server.push(server.app.commit(".turnout.yml", site.pipeline("v2"), "v2"), "deploy-v2");
  REQUIRE(v2.status == 202);
  REQUIRE(server.wait_until_ended(v2.json()->getValue<int>("run"))->getValue<std::string>("status") ==
          "succeeded");
  const auto without = get(server, "/apps/web").body;
  CHECK_THAT(without, Catch::Contains("<h2>Slots</h2>"));
  CHECK_THAT(without, !Catch::Contains("<h2>Traffic"));
}
