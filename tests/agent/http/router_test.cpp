#include "agent/http/router.h"

#include <catch2/catch.hpp>

using namespace turnout::agent;

namespace {

HttpRequest request(const std::string& method, const std::string& path) {
  HttpRequest out;
  out.method = method;
  out.path = path;
  return out;
}

Router sample_router() {
  Router router;
  router.add("GET", "/api/runs", [](const HttpRequest&) { return HttpResponse{200, "list"}; });
  router.add("GET", "/api/runs/{id}", [](const HttpRequest& r) {
    return HttpResponse{200, "run " + r.params.at("id")};
  });
  router.add("POST", "/webhook", [](const HttpRequest& r) { return HttpResponse{202, r.body}; });
  return router;
}

}  // namespace

TEST_CASE("router: method and path pick the handler, {name} segments are captured", "[unit][http]") {
  const Router router = sample_router();
  CHECK(router.route(request("GET", "/api/runs")).body == "list");
  CHECK(router.route(request("GET", "/api/runs/")).body == "list");
  CHECK(router.route(request("GET", "/api/runs/42")).body == "run 42");
  // Empty segments are no segments: doubled slashes, one at the end, none at the start.
  CHECK(router.route(request("GET", "//api//runs/42/")).body == "run 42");
  CHECK(router.route(request("GET", "api/runs/7")).body == "run 7");
  CHECK(router.route(request("GET", "/")).status == 404);
  auto post = request("POST", "/webhook");
  post.body = "payload";
  const auto answer = router.route(post);
  CHECK(answer.status == 202);
  CHECK(answer.body == "payload");
}

TEST_CASE("router: unknown paths are 404, known paths under another method 405", "[unit][http]") {
  const Router router = sample_router();
  const auto missing = router.route(request("GET", "/api/runs/42/nope"));
  CHECK(missing.status == 404);
  CHECK(missing.content_type == "application/json");
  CHECK(missing.body == R"({"error":"no such endpoint: GET /api/runs/42/nope"})");
  CHECK(router.route(request("GET", "/webhook")).status == 405);
}

TEST_CASE("router: header() reads lower-case names", "[unit][http]") {
  HttpRequest r;
  r.headers["x-github-event"] = "push";
  CHECK(r.header("x-github-event") == "push");
  CHECK(r.header("x-missing").empty());
}

TEST_CASE("router: a not-found handler answers the paths no route has", "[unit][http]") {
  Router router = sample_router();
  router.set_not_found([](const HttpRequest& r) { return HttpResponse{404, "page " + r.path, "text/html"}; });
  CHECK(router.route(request("GET", "/elsewhere")).body == "page /elsewhere");
  CHECK(router.route(request("GET", "/api/runs/42")).body == "run 42");
  CHECK(router.route(request("GET", "/webhook")).status == 405);
}
