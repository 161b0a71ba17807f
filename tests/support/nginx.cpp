#include "tests/support/nginx.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/command.h"
#include "util/process_tree.h"

namespace turnout::test {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kNginx = "/usr/sbin/nginx";
constexpr int kStartAttempts = 5;
constexpr auto kDeadline = std::chrono::seconds(10);

/// Whether nginx's master `master` has a worker that took its title: only then is a connection
/// answered by the configuration nginx started with (the port accepts as soon as the master
/// bound it, before any worker exists; a worker forked later would look younger than a reload
/// a test makes next).
bool has_worker(pid_t master) {
  const auto children = util::children_of(master);
  return std::any_of(children.begin(), children.end(), [](pid_t child) {
    return util::command_line(child).find("worker process") != std::string::npos;
  });
}

/// `user NAME;` when we are root: nginx's workers would otherwise run as nobody and could not
/// read the test's 0700 folders.
std::string user_directive() {
  if (::geteuid() != 0) return "";
  const passwd* entry = ::getpwuid(::geteuid());
  return entry != nullptr ? "user " + std::string(entry->pw_name) + ";\n" : "";
}

}  // namespace

NginxServer::NginxServer(Fragment fragment) : fragment_(std::move(fragment)) {
  for (const char* folder : {"conf", "logs", "temp"}) fs::create_directories(prefix() / folder);
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    if (start_on(free_loopback_port())) return;
  }
  throw std::runtime_error("nginx: every port tried was taken:\n" + error_log());
}

NginxServer::~NginxServer() {
  if (process_) process_->stop(SIGTERM);
}

std::string NginxServer::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

fs::path NginxServer::config_file() const { return prefix() / "conf" / "nginx.conf"; }

std::string NginxServer::error_log() const {
  return read_file(prefix() / "logs" / "stderr.log") + read_file(prefix() / "logs" / "error.log");
}

void NginxServer::write_config(int port) {
  const std::string p = prefix().string();
  std::ostringstream config;
  config << "# Written by turnout's tests (tests/support/nginx.cpp).\n"
         << "daemon off;\nmaster_process on;\nworker_processes 1;\n"
         << user_directive() << "pid \"" << p << "/logs/nginx.pid\";\n"
         << "error_log \"" << p << "/logs/error.log\" info;\n"
         << "events { worker_connections 256; }\n"
         << "http {\n"
         << "  access_log \"" << p << "/logs/access.log\";\n"
         << "  client_body_temp_path \"" << p << "/temp/client_body\";\n"
         << "  proxy_temp_path \"" << p << "/temp/proxy\";\n"
         << "  fastcgi_temp_path \"" << p << "/temp/fastcgi\";\n"
         << "  uwsgi_temp_path \"" << p << "/temp/uwsgi\";\n"
         << "  scgi_temp_path \"" << p << "/temp/scgi\";\n"
         << "  default_type application/octet-stream;\n"
         << fragment_(port) << "\n}\n";
  prefix_.write("conf/nginx.conf", config.str());
}

bool NginxServer::start_on(int port) {
  write_config(port);
  fs::remove(prefix() / "logs" / "stderr.log");
  fs::remove(prefix() / "logs" / "nginx.pid");
  process_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{kNginx, "-p", prefix().string() + "/", "-c", config_file().string(), "-e",
                               "stderr"},
      prefix() / "logs" / "stderr.log");
  const auto deadline = Clock::now() + kDeadline;
  while (Clock::now() < deadline) {
    if (!process_->running()) {
      if (error_log().find("Address already in use") != std::string::npos) return false;
      throw std::runtime_error("nginx did not start:\n" + error_log());
    }
    // nginx writes its pid file after it bound its ports: a connection is then really to it.
    if (fs::exists(prefix() / "logs" / "nginx.pid") && port_accepts(port) && has_worker(process_->pid())) {
      port_ = port;
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  process_->stop(SIGKILL);
  throw std::runtime_error("nginx did not accept connections on port " + std::to_string(port) +
                           " within 10 s:\n" + error_log());
}

void NginxServer::reload() {
  const auto test = run_command(
      {kNginx, "-t", "-q", "-p", prefix().string() + "/", "-c", config_file().string(), "-e", "stderr"});
  if (test.exit_code != 0) throw std::runtime_error("nginx -t rejected the config:\n" + test.err + test.out);
  const auto old_workers = util::children_of(process_->pid());
  if (!process_->send_signal(SIGHUP)) throw std::runtime_error("nginx is not running:\n" + error_log());
  const auto deadline = Clock::now() + kDeadline;
  while (Clock::now() < deadline) {
    const auto workers = util::children_of(process_->pid());
    const bool old_gone = std::none_of(old_workers.begin(), old_workers.end(), [&](pid_t pid) {
      return std::find(workers.begin(), workers.end(), pid) != workers.end();
    });
    if (old_gone && !workers.empty()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("nginx did not finish reloading within 10 s:\n" + error_log());
}

void NginxServer::reload(const Fragment& fragment) {
  fragment_ = fragment;
  write_config(port_);
  reload();
}

std::string proxy_site(const std::filesystem::path& upstream_file, int port) {
  return "upstream web { include " + upstream_file.string() +
         "; }\nserver { listen 127.0.0.1:" + std::to_string(port) +
         "; location / { proxy_pass http://web; } }\n";
}

std::string flag_site(const std::filesystem::path& includes, int port) {
  return "include " + (includes / "http*.conf").string() +
         ";\nserver { listen 127.0.0.1:" + std::to_string(port) + "; location / { include " +
         (includes / "location*.conf").string() + "; } }\n";
}

}  // namespace turnout::test
