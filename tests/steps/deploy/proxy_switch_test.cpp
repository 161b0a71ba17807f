#include "steps/deploy/proxy_switch.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/support/command.h"
#include "tests/support/nginx.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace turnout::steps::deploy {
namespace {

namespace fs = std::filesystem;
using test::NginxServer;
using test::TempDir;

constexpr const char* kNginx = "/usr/sbin/nginx";

ProxyEnv our_env(const fs::path& cwd) {
  ProxyEnv env;
  for (char** entry = environ; *entry != nullptr; ++entry) env.env.emplace_back(*entry);
  env.cwd = cwd.string();
  return env;
}

std::string server_line(int port) { return "server 127.0.0.1:" + std::to_string(port) + ";\n"; }

/// A backend slot: an nginx answering `body` to every request.
std::unique_ptr<NginxServer> backend(const std::string& body) {
  return std::make_unique<NginxServer>([body](int port) {
    return "server { listen 127.0.0.1:" + std::to_string(port) + "; location / { return 200 '" + body +
           "'; } }";
  });
}

/// The body of `GET /` on 127.0.0.1:`port` (bash's /dev/tcp: no HTTP client dependency).
std::string get(int port) {
  const auto result = test::run_command(
      {"bash", "-c",
       "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port) +
           " && printf 'GET / HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n' >&3 && cat <&3 | tail -n 1"});
  return result.out;
}

/// True once `GET /` on `port` answers `body`. A reload is asynchronous: old workers may take
/// a moment to go; the bound only keeps a broken reload from hanging the test.
bool eventually_answers(int port, const std::string& body) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < give_up) {
    if (get(port) == body + "\n") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

/// The nginx backend in mode reload, owning `file`.
std::unique_ptr<ProxySwitch> reload_switch(const fs::path& file, const std::string& test,
                                           const std::string& reload, const TempDir& cwd) {
  pipeline::Deploy deploy;
  pipeline::NginxProxy nginx;
  nginx.mode = pipeline::NginxMode::reload;
  nginx.upstream_file = file.string();
  nginx.test = test;
  nginx.reload = reload;
  deploy.proxy.nginx = nginx;
  return make_proxy_switch(deploy, our_env(cwd.path()));
}

/// A front nginx proxying to the upstream file, two backend slots, and the file pointing at blue.
struct Proxied {
  TempDir files;
  std::unique_ptr<NginxServer> blue = backend("blue");
  std::unique_ptr<NginxServer> green = backend("green");
  fs::path upstream_file = files / "app.upstream.conf";
  std::unique_ptr<NginxServer> front;

  Proxied() {
    // nginx refuses to start when the included file does not exist.
    files.write("app.upstream.conf", server_line(blue->port()));
    front = std::make_unique<NginxServer>([file = upstream_file.string()](int port) {
      return "upstream app { include \"" + file + "\"; }\nserver { listen 127.0.0.1:" + std::to_string(port) +
             "; location / { proxy_pass http://app; } }";
    });
  }

  /// nginx's own options for the front's prefix and config.
  std::string nginx_options() const {
    return "-p '" + front->prefix().string() + "/' -c '" + front->config_file().string() + "' -e stderr";
  }
  std::string real_test() const { return std::string(kNginx) + " -t -q " + nginx_options(); }
  std::string real_reload() const { return std::string(kNginx) + " -s reload " + nginx_options(); }

  std::unique_ptr<ProxySwitch> nginx_switch(const std::string& test, const std::string& reload) const {
    return reload_switch(upstream_file, test, reload, files);
  }
};

std::unique_ptr<ProxySwitch> nginx_switch(const fs::path& file, const std::string& test,
                                          const std::string& reload, const TempDir& cwd) {
  return reload_switch(file, test, reload, cwd);
}

std::unique_ptr<ProxySwitch> command_switch(const std::string& switch_command,
                                            const std::string& current_command, const TempDir& cwd) {
  pipeline::Deploy deploy;
  deploy.proxy.command = pipeline::CommandProxy{switch_command, current_command};
  return make_proxy_switch(deploy, our_env(cwd.path()));
}

std::optional<int> current_port(const ProxySwitch& proxy) {
  const auto current = proxy.current();
  REQUIRE(current.ok());
  return current.value();
}

}  // namespace

TEST_CASE("nginx proxy: switch_to sends traffic to the new slot and reads it back", "[integration][nginx]") {
  Proxied app;
  // The commands see the slot they switch to, and run in the proxy's folder.
  const auto proxy =
      app.nginx_switch("echo \"$TURNOUT_SLOT $PORT\" > seen && " + app.real_test(), app.real_reload());
  CHECK(proxy->describe() == "nginx (" + app.upstream_file.string() + ")");
  REQUIRE(get(app.front->port()) == "blue\n");
  CHECK(current_port(*proxy) == app.blue->port());

  const auto switched = proxy->switch_to(app.green->port(), Slot::green);
  INFO((switched.ok() ? "" : switched.error().message));
  REQUIRE(switched.ok());
  CHECK(test::read_file(app.upstream_file) == server_line(app.green->port()));
  CHECK(test::read_file(app.files / "seen") == "green " + std::to_string(app.green->port()) + "\n");
  CHECK(eventually_answers(app.front->port(), "green"));
  CHECK(current_port(*proxy) == app.green->port());

  REQUIRE(proxy->switch_to(app.blue->port(), Slot::blue).ok());
  CHECK(eventually_answers(app.front->port(), "blue"));
  CHECK(current_port(*proxy) == app.blue->port());
}

TEST_CASE("nginx proxy: a failing test puts the upstream file back and does not reload",
          "[integration][nginx]") {
  Proxied app;
  const std::string previous =
      "# the live slot\nserver 127.0.0.1:" + std::to_string(app.blue->port()) + " ;\n";
  app.files.write("app.upstream.conf", previous);
  app.front->reload();
  const auto proxy = app.nginx_switch(
      "echo 'nginx: [emerg] host not found in upstream' >&2; echo 'nginx: configuration file test failed' "
      ">&2; "
      "exit 1",
      "touch reloaded && " + app.real_reload());

  const auto switched = proxy->switch_to(app.green->port(), Slot::green);
  REQUIRE_FALSE(switched.ok());
  const std::string& message = switched.error().message;
  CHECK_THAT(message, Catch::StartsWith("nginx test (`echo 'nginx: [emerg]"));
  CHECK_THAT(message, Catch::Contains("failed (exited 1): nginx: [emerg] host not found in upstream | "
                                      "nginx: configuration file test failed"));
  CHECK_THAT(message, Catch::Contains("put the previous " + app.upstream_file.string() + " back"));
  CHECK(test::read_file(app.upstream_file) == previous);
  CHECK_FALSE(fs::exists(app.files / "reloaded"));
  CHECK(get(app.front->port()) == "blue\n");
  CHECK(current_port(*proxy) == app.blue->port());
}

TEST_CASE("nginx proxy: a failing reload puts the upstream file back and reloads it",
          "[integration][nginx]") {
  Proxied app;
  // The first reload really applies the new file, then fails; the second (turnout's undo) works.
  const std::string reload = "if [ -e reloaded-once ]; then " + app.real_reload() +
                             "; else touch reloaded-once; " + app.real_reload() +
                             "; echo 'reload: lost the lock' >&2; " + "exit 4; fi";
  const auto proxy = app.nginx_switch(app.real_test(), reload);

  const auto switched = proxy->switch_to(app.green->port(), Slot::green);
  REQUIRE_FALSE(switched.ok());
  const std::string& message = switched.error().message;
  CHECK_THAT(message, Catch::StartsWith("nginx reload (`if [ -e reloaded-once ]"));
  // nginx -s prints its own "signal process started" notice before the script's last line.
  CHECK_THAT(message, Catch::Contains("failed (exited 4): ") && Catch::Contains("| reload: lost the lock; "));
  CHECK_THAT(message, Catch::EndsWith("put the previous " + app.upstream_file.string() +
                                      " back and reloaded nginx with it"));
  CHECK(test::read_file(app.upstream_file) == server_line(app.blue->port()));
  CHECK(eventually_answers(app.front->port(), "blue"));
  CHECK(current_port(*proxy) == app.blue->port());
}

TEST_CASE("nginx proxy: a reload that keeps failing is reported with both failures", "[integration][steps]") {
  TempDir dir;
  const auto file = dir.write("app.upstream.conf", server_line(20201));
  const auto proxy = nginx_switch(file, "true", "echo 'nginx is not running' >&2; false", dir);

  const auto switched = proxy->switch_to(20202, Slot::green);
  REQUIRE_FALSE(switched.ok());
  CHECK_THAT(switched.error().message,
             Catch::Contains("nginx reload (`echo 'nginx is not running' >&2; false`) "
                             "failed (exited 1): nginx is not running; put the previous"));
  CHECK_THAT(switched.error().message,
             Catch::EndsWith(", but reloading it (`echo 'nginx is not running' >&2; false`) "
                             "failed (exited 1): nginx is not running"));
  CHECK(test::read_file(file) == server_line(20201));
}

TEST_CASE("nginx proxy: a first switch that fails leaves no upstream file behind", "[integration][steps]") {
  TempDir dir;
  const fs::path file = dir / "app.upstream.conf";

  SECTION("when the test fails") {
    const auto proxy = nginx_switch(file, "false", "true", dir);
    CHECK(current_port(*proxy) == std::nullopt);
    const auto switched = proxy->switch_to(20201, Slot::blue);
    REQUIRE_FALSE(switched.ok());
    CHECK(switched.error().message == "nginx test (`false`) failed (exited 1) with no output; removed " +
                                          file.string() + " again (there was none before)");
  }
  SECTION("when the reload fails") {
    const auto proxy = nginx_switch(file, "true", "exit 2", dir);
    const auto switched = proxy->switch_to(20201, Slot::blue);
    REQUIRE_FALSE(switched.ok());
    CHECK_THAT(switched.error().message, Catch::StartsWith("nginx reload (`exit 2`) failed (exited 2)"));
  }
  CHECK_FALSE(fs::exists(file));
  CHECK(fs::is_empty(dir.path()));  // no temp file either
}

TEST_CASE("nginx proxy: switch_to keeps the file's mode and refuses a port out of range",
          "[integration][steps]") {
  TempDir dir;
  const auto file = dir.write("app.upstream.conf", server_line(20201));
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  const auto proxy = nginx_switch(file, "touch ran", "true", dir);

  for (const int port : {0, -1, 65536}) {
    const auto switched = proxy->switch_to(port, Slot::green);
    REQUIRE_FALSE(switched.ok());
    CHECK(switched.error().kind == util::ErrorKind::invalid);
    CHECK(switched.error().message ==
          "cannot switch the proxy to port " + std::to_string(port) + ": a port is 1 to 65535");
  }
  CHECK_FALSE(fs::exists(dir / "ran"));

  REQUIRE(proxy->switch_to(65535, Slot::green).ok());
  CHECK(test::read_file(file) == server_line(65535));
  CHECK((fs::status(file).permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
}

TEST_CASE("nginx proxy: current() reads the upstream file's server line", "[unit][steps]") {
  TempDir dir;
  const fs::path file = dir / "app.upstream.conf";
  const auto proxy = nginx_switch(file, "true", "true", dir);

  CHECK(current_port(*proxy) == std::nullopt);  // no file yet
  dir.write("app.upstream.conf", "");
  CHECK(current_port(*proxy) == std::nullopt);
  dir.write("app.upstream.conf", "# nothing live\n\n");
  CHECK(current_port(*proxy) == std::nullopt);
  dir.write("app.upstream.conf", server_line(20201));
  CHECK(current_port(*proxy) == 20201);
  dir.write("app.upstream.conf", "# live\n  server\tlocalhost:20202 ;  # green\n");
  CHECK(current_port(*proxy) == 20202);
  dir.write("app.upstream.conf", "server 127.0.0.1:20202;\nserver 127.0.0.1:20202;\n");
  CHECK(current_port(*proxy) == 20202);
}

TEST_CASE("nginx proxy: current() fails on content it cannot read, naming the file", "[unit][steps]") {
  TempDir dir;
  const fs::path file = dir / "app.upstream.conf";
  const auto proxy = nginx_switch(file, "true", "true", dir);

  const auto error_for = [&](const std::string& content) {
    dir.write("app.upstream.conf", content);
    const auto current = proxy->current();
    REQUIRE_FALSE(current.ok());
    return current.error().message;
  };
  CHECK(error_for("server 127.0.0.1:blue;\n") ==
        file.string() +
            ":1: expected `server 127.0.0.1:PORT;`, found `server 127.0.0.1:blue;`; write that line "
            "by hand or switch again");
  CHECK_THAT(error_for("\nserver 127.0.0.1:20201\n"), Catch::StartsWith(file.string() + ":2: expected"));
  CHECK_THAT(error_for("server 10.0.0.5:20201;\n"), Catch::StartsWith(file.string() + ":1: expected"));
  CHECK_THAT(error_for("server 127.0.0.1:20201 backup;\n"),
             Catch::StartsWith(file.string() + ":1: expected"));
  CHECK_THAT(error_for("server 127.0.0.1:70000;\n"), Catch::StartsWith(file.string() + ":1: expected"));
  CHECK_THAT(error_for("upstream app { server 127.0.0.1:20201; }\n"),
             Catch::StartsWith(file.string() + ":1:"));
  CHECK(error_for("server 127.0.0.1:20201;\nserver 127.0.0.1:20202;\n") ==
        file.string() +
            ":2: a second server line, for port 20202 besides 20201; turnout writes one, switch again "
            "to fix it");

  fs::remove(file);
  fs::create_directory(file);  // read(2) of a folder fails with EISDIR
  const auto current = proxy->current();
  REQUIRE_FALSE(current.ok());
  CHECK_THAT(current.error().message,
             Catch::StartsWith("cannot read the upstream file " + file.string() + ": "));
}

TEST_CASE("command proxy: switch_to runs switch with PORT and TURNOUT_SLOT and reads current back",
          "[integration][steps]") {
  TempDir dir;
  const auto proxy =
      command_switch("printf '%s %s\\n' \"$PORT\" \"$TURNOUT_SLOT\" > switched && echo \"$PORT\" > live",
                     "cat live 2>/dev/null || true", dir);
  CHECK(proxy->describe() == "command");
  CHECK(current_port(*proxy) == std::nullopt);  // prints nothing: points nowhere yet

  REQUIRE(proxy->switch_to(20202, Slot::green).ok());
  CHECK(test::read_file(dir / "switched") == "20202 green\n");
  CHECK(current_port(*proxy) == 20202);

  REQUIRE(proxy->switch_to(20201, Slot::blue).ok());
  CHECK(current_port(*proxy) == 20201);
}

TEST_CASE("command proxy: reports a failing switch and a current it cannot read", "[integration][steps]") {
  TempDir dir;
  SECTION("switch fails") {
    const auto proxy = command_switch("echo 'haproxy: no such backend' >&2; exit 3", "true", dir);
    const auto switched = proxy->switch_to(20202, Slot::green);
    REQUIRE_FALSE(switched.ok());
    CHECK(switched.error().message ==
          "proxy switch command (`echo 'haproxy: no such backend' >&2; exit 3`) failed (exited 3): haproxy: "
          "no such "
          "backend");
  }
  SECTION("current prints something else than a port") {
    const auto proxy = command_switch("true", "echo green; echo", dir);
    const auto current = proxy->current();
    REQUIRE_FALSE(current.ok());
    CHECK(current.error().message ==
          "proxy current command (`echo green; echo`) printed `green`, not a port (it must print the live "
          "port, or "
          "nothing when there is none)");
  }
  SECTION("current fails") {
    const auto proxy = command_switch("true", "echo 'socket: connection refused' >&2; exit 1", dir);
    const auto current = proxy->current();
    REQUIRE_FALSE(current.ok());
    CHECK_THAT(current.error().message, Catch::EndsWith("failed (exited 1): socket: connection refused"));
  }
  SECTION("current prints a port out of range") {
    const auto proxy = command_switch("true", "echo 0", dir);
    CHECK_FALSE(proxy->current().ok());
  }
}

}  // namespace turnout::steps::deploy
