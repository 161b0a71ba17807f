#include "tests/support/deploy_site.h"

#include <csignal>
#include <fstream>
#include <thread>

#include "tests/support/background_process.h"
#include "tests/support/http_get.h"
#include "tests/support/version_app.h"

namespace turnout::test {

namespace {

// An outside supervisor as a person would write one around a plain process: start puts the app
// in its own session and records its pid, stop ends it and waits until the port is free (a
// zombie counts as gone: nobody here reaps it at once).
std::string outside_commands(const std::filesystem::path& dir, const std::string& start_suffix) {
  const std::string pid_file = (dir / "outside-$TURNOUT_SLOT.pid").string();
  return "      start: setsid -f sh -c 'echo $$ > \"" + pid_file +
         "\"; exec " TURNOUT_TEST_APP "' </dev/null >/dev/null 2>&1; while [ ! -s \"" + pid_file +
         "\" ]; do sleep 0.05; done" + start_suffix +
         "\n"
         "      stop: if [ -s \"" +
         pid_file + "\" ]; then p=$(cat \"" + pid_file +
         "\"); kill $p 2>/dev/null; while [ -e /proc/$p ] && ! grep -q ') Z' /proc/$p/stat; do sleep 0.05; "
         "done; rm -f \"" +
         pid_file + "\"; fi\n";
}

}  // namespace

DeploySite::DeploySite(bool reload)
    : reload_mode(reload), blue(free_loopback_port()), green(free_loopback_port()) {
  dir.write("web.upstream.conf", "server 127.0.0.1:1;\n");
  nginx = std::make_unique<NginxServer>([this](int port) {
    return reload_mode ? proxy_site(dir / "web.upstream.conf", port) : flag_site(dir / "nginx-web", port);
  });
}

DeploySite::~DeploySite() {
  stop_app_slots(data(), "web");
  // An outside supervisor's slots are the test app, if that pid still is.
  for (const char* slot : {"blue", "green"}) {
    std::error_code error;
    const int pid = outside_pid(slot);
    if (pid > 0 && std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", error) ==
                       std::filesystem::path(TURNOUT_TEST_APP))
      ::kill(pid, SIGKILL);
  }
}

std::string DeploySite::pipeline(const std::string& version, const DeployKnobs& knobs) const {
  const std::string flags = " -p " + nginx->prefix().string() + " -c " + nginx->config_file().string();
  const std::string start = knobs.outside_supervisor ? outside_commands(dir.path(), knobs.start_suffix)
                                                     : "      start: exec " TURNOUT_TEST_APP "\n";
  const std::string port_file = (dir / "live-port").string();
  const std::string proxy =
      knobs.command_proxy
          ? "      proxy:\n        command:\n          switch: echo $PORT > " + port_file +
                "\n          current: cat " + port_file + "\n"
          : "      proxy:\n        nginx:\n" +
                (reload_mode ? "          upstream_file: " + (dir / "web.upstream.conf").string() + "\n"
                             : "          dir: " + (dir / "nginx-web").string() + "\n") +
                (knobs.feed ? "          feed: true\n" : "") + "          test: " + knobs.test_prefix +
                "nginx -t -q" + flags + "\n          reload: nginx -s reload" + flags + "\n";
  return "name: web\nenv:\n  APP_VERSION: " + version + "\n" + knobs.app_env +
         "stages:\n  - name: deploy\n    deploy:\n      app: web\n      slots: { blue: " +
         std::to_string(blue) + ", green: " + std::to_string(green) + " }\n" + start +
         "      health: { path: /health, interval: " + knobs.interval +
         ", timeout: 2s, attempts: " + std::to_string(knobs.attempts) + " }\n" + knobs.timing + proxy;
}

void DeploySite::write_pipeline(const std::string& version, const DeployKnobs& knobs) {
  dir.write("ws/.turnout.yml", pipeline(version, knobs));
}

CommandResult DeploySite::turnout(std::vector<std::string> args) const {
  args.push_back("--data-dir");
  args.push_back(data());
  return run_turnout(args);
}

CommandResult DeploySite::deploy(const std::string& version, const DeployKnobs& knobs) {
  write_pipeline(version, knobs);
  return turnout({"run", "--dir", (dir / "ws").string()});
}

bool DeploySite::serves(const std::string& version) const {
  for (int i = 0; i < 200; ++i) {
    if (http_get_body(nginx->port()) == version + "\n") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

steps::deploy::AppState DeploySite::state() const {
  return steps::deploy::load_app_state(steps::deploy::app_dir(data(), "web")).value();
}

int DeploySite::outside_pid(const std::string& slot) const {
  std::ifstream in(dir / ("outside-" + slot + ".pid"));
  int pid = 0;
  in >> pid;
  return pid;
}

}  // namespace turnout::test
