#include "steps/deploy/nginx_flag.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>

#include "tests/support/http_get.h"
#include "tests/support/nginx.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace turnout::steps::deploy {
namespace {

namespace fs = std::filesystem;
using test::NginxServer;
using test::TempDir;

/// A backend slot: an nginx answering `body` to every request.
std::unique_ptr<NginxServer> backend(const std::string& body) {
  return std::make_unique<NginxServer>([body](int port) {
    return "server { listen 127.0.0.1:" + std::to_string(port) + "; location / { return 200 '" + body +
           "\n'; } }";
  });
}

/// How many times nginx reloaded its configuration, from its error log.
int reloads(const NginxServer& nginx) {
  const std::string log = nginx.error_log();
  int count = 0;
  const std::string signal = "signal 1 (SIGHUP) received";
  for (auto at = log.find(signal); at != std::string::npos; at = log.find(signal, at + 1)) ++count;
  return count;
}

/// Two backend slots and a front nginx whose site includes the flag mode's files; the http block
/// may carry more (an open_file_cache that must not hide the flag).
struct Front {
  TempDir files;
  std::unique_ptr<NginxServer> blue = backend("blue");
  std::unique_ptr<NginxServer> green = backend("green");
  fs::path includes = files / "data" / "nginx" / "web";
  std::unique_ptr<NginxServer> nginx;
  pipeline::Deploy deploy;

  explicit Front(const std::string& http_extra = "", bool include_http = true) {
    nginx = std::make_unique<NginxServer>([this, http_extra, include_http](int port) {
      std::string site = test::flag_site(includes, port);
      if (!include_http) site = site.substr(site.find('\n') + 1);  // the site forgot the http include
      return http_extra + site;
    });
    deploy.app = "web";
    deploy.slots = {blue->port(), green->port()};
    pipeline::NginxProxy proxy;
    const std::string flags = " -p " + nginx->prefix().string() + " -c " + nginx->config_file().string();
    proxy.test = "/usr/sbin/nginx -t -q" + flags;
    proxy.reload = "/usr/sbin/nginx -s reload" + flags;
    deploy.proxy.nginx = proxy;
  }

  std::unique_ptr<ProxySwitch> proxy() const {
    ProxyEnv env;
    for (char** entry = environ; *entry != nullptr; ++entry) env.env.emplace_back(*entry);
    env.cwd = files.path().string();
    env.data_dir = (files / "data").string();
    return make_proxy_switch(deploy, env);
  }

  /// The body nginx answers `GET /` with, or "HTTP <status>" for anything but a 200.
  std::string served() const {
    int status = 0;
    const auto body = test::http_get_body(nginx->port(), "/", &status);
    if (status == 200) return body;
    // What nginx said of it (its reloads and workers too), for the failure message.
    return "HTTP " + std::to_string(status) + " " + nginx->error_log();
  }
};

}  // namespace

TEST_CASE("nginx flag: the first switch writes the includes and reloads, later ones only flip the flag",
          "[integration][deploy][nginx]") {
  Front front;
  const auto proxy = front.proxy();
  CHECK(proxy->current().value() == std::nullopt);  // nothing written yet
  const int before = reloads(*front.nginx);

  const auto first = proxy->switch_to(front.blue->port(), Slot::blue);
  INFO(front.nginx->error_log());
  REQUIRE(first.ok());
  // Returned once nginx routes there: no waiting, the very next request is blue's.
  CHECK(front.served() == "blue\n");
  CHECK(reloads(*front.nginx) == before + 1);
  CHECK(fs::exists(front.includes / "http.conf"));
  CHECK(fs::exists(front.includes / "location.conf"));
  CHECK(proxy->current().value() == front.blue->port());

  for (int i = 0; i < 5; ++i) {
    REQUIRE(proxy->switch_to(front.green->port(), Slot::green).ok());
    CHECK(front.served() == "green\n");
    CHECK(fs::exists(front.includes / "green.live"));
    CHECK(proxy->current().value() == front.green->port());
    REQUIRE(proxy->switch_to(front.blue->port(), Slot::blue).ok());
    CHECK(front.served() == "blue\n");
    CHECK_FALSE(fs::exists(front.includes / "green.live"));
  }
  CHECK(reloads(*front.nginx) == before + 1);
  CHECK(proxy->describe() == "nginx (" + front.includes.string() + ", no reload per switch)");
}

TEST_CASE("nginx flag: open_file_cache in the http block does not hide a switch",
          "[integration][deploy][nginx]") {
  Front front("open_file_cache max=100 inactive=60s;\nopen_file_cache_valid 60s;\n");
  const auto proxy = front.proxy();
  INFO(test::read_file(front.nginx->config_file()) << front.nginx->error_log());
  REQUIRE(proxy->switch_to(front.blue->port(), Slot::blue).ok());
  CHECK(front.served() == "blue\n");
  REQUIRE(proxy->switch_to(front.green->port(), Slot::green).ok());
  CHECK(front.served() == "green\n");
  REQUIRE(proxy->switch_to(front.blue->port(), Slot::blue).ok());
  CHECK(front.served() == "blue\n");
}

TEST_CASE("nginx flag: changed ports rewrite the includes and reload once, keeping the check port",
          "[integration][deploy][nginx]") {
  Front front;
  REQUIRE(front.proxy()->switch_to(front.blue->port(), Slot::blue).ok());
  const auto check_port = check_port_of(test::read_file(front.includes / "http.conf"));
  REQUIRE(check_port);
  // green moves to a new port (another backend).
  const auto moved = backend("green moved");
  front.deploy.slots.green = moved->port();
  const int before = reloads(*front.nginx);
  const auto switched = front.proxy()->switch_to(moved->port(), Slot::green);
  INFO(front.nginx->error_log());
  REQUIRE(switched.ok());
  CHECK(front.served() == "green moved\n");
  CHECK(reloads(*front.nginx) == before + 1);
  CHECK(check_port_of(test::read_file(front.includes / "http.conf")) == check_port);
}

TEST_CASE("nginx flag: a failing test puts the includes and the flag back", "[integration][deploy][nginx]") {
  Front front;
  REQUIRE(front.proxy()->switch_to(front.blue->port(), Slot::blue).ok());
  const auto http_before = test::read_file(front.includes / "http.conf");
  const auto moved = backend("green moved");
  front.deploy.slots.green = moved->port();
  front.deploy.proxy.nginx->test = "echo 'emerg: the test says no' >&2; exit 1";
  const auto refused = front.proxy()->switch_to(moved->port(), Slot::green);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message,
             Catch::Contains("nginx test (`echo 'emerg: the test says no' >&2; exit 1`) "
                             "failed (exited 1): emerg: the test says no"));
  CHECK_THAT(refused.error().message, Catch::Contains("put the previous includes and flag of"));
  CHECK(test::read_file(front.includes / "http.conf") == http_before);
  CHECK_FALSE(fs::exists(front.includes / "green.live"));
  CHECK(front.served() == "blue\n");
}

TEST_CASE("nginx flag: a site that does not include http.conf fails the switch with the reason, flag back",
          "[integration][deploy][nginx]") {
  Front front("", false);
  const auto proxy = front.proxy();
  const auto failed = proxy->switch_to(front.green->port(), Slot::green);
  REQUIRE_FALSE(failed.ok());
  CHECK_THAT(failed.error().message,
             Catch::StartsWith("nginx does not route app web to slot green 10 s after "
                               "the switch: its check server http://127.0.0.1:"));
  CHECK_THAT(failed.error().message, Catch::Contains("is " + (front.includes / "http.conf").string() +
                                                     " included in nginx's http block"));
  CHECK_FALSE(fs::exists(front.includes / "green.live"));
  CHECK_FALSE(fs::exists(front.includes / "http.conf"));  // none before: removed again
}

TEST_CASE("nginx flag: the includes name both slots as upstreams with keep-alive", "[unit][deploy]") {
  const FlagLayout layout{"web", "/srv/turnout/nginx/web", 20201, 20202, 20299};
  const auto http = flag_http_include(layout);
  CHECK_THAT(http, Catch::Contains("upstream turnout_web_blue {\n    server 127.0.0.1:20201;\n    keepalive "
                                   "16;\n    keepalive_timeout 2s;\n}"));
  CHECK_THAT(http, Catch::Contains("upstream turnout_web_green {\n    server 127.0.0.1:20202;\n"));
  CHECK_THAT(http, Catch::Contains("listen 127.0.0.1:20299;"));
  CHECK_THAT(http, Catch::Contains("return 200 \"$turnout_slot " + flag_generation(layout) + " $pid\\n\";"));
  CHECK(check_port_of(http) == 20299);
  const auto location = flag_location_include(layout);
  CHECK_THAT(location,
             Catch::Contains("if (-f \"/srv/turnout/nginx/web/green.live\") { set $turnout_slot green; }"));
  CHECK_THAT(location, Catch::Contains("proxy_pass http://turnout_web_$turnout_slot;"));
  CHECK_THAT(location, Catch::Contains("open_file_cache off;"));
  auto moved = layout;
  moved.green = 20203;
  CHECK(flag_generation(moved) != flag_generation(layout));
  CHECK_FALSE(check_port_of("upstream x { server 127.0.0.1:1; }\n"));
}

TEST_CASE("nginx flag: with a feed, the includes log each request to it, without, nothing",
          "[unit][deploy]") {
  FlagLayout layout{"web", "/srv/turnout/nginx/web", 20201, 20202, 20299};
  const auto plain_http = flag_http_include(layout);
  const auto plain_location = flag_location_include(layout);
  CHECK_THAT(plain_http, !Catch::Contains("log_format"));
  CHECK_THAT(plain_location, !Catch::Contains("access_log"));
  const auto plain_generation = flag_generation(layout);
  layout.feed = FeedEndpoint{40001, "0123456789abcdef0123456789abcdef"};
  CHECK_THAT(flag_http_include(layout),
             Catch::Contains("log_format turnout_feed_web 'turnout1 0123456789abcdef0123456789abcdef web "
                             "$turnout_slot $upstream_addr $status $upstream_response_time';"));
  CHECK_THAT(flag_location_include(layout),
             Catch::Contains("access_log syslog:server=127.0.0.1:40001,facility=local7,severity=info,"
                             "tag=turnout,nohostname turnout_feed_web;"));
  // The feed is part of what the check server's generation stamps.
  CHECK(flag_generation(layout) != plain_generation);
}

}  // namespace turnout::steps::deploy
