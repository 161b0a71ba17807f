#pragma once
// A real nginx for tests: Debian's binary, our own prefix and config, a free loopback port.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "tests/support/background_process.h"
#include "tests/support/temp_dir.h"

namespace turnout::test {

/// One nginx (master + one worker) that a test starts under its own TempDir prefix, so it never
/// touches /etc/nginx, /var/lib/nginx or /var/log/nginx, even as root. The caller writes what
/// goes inside the `http { }` block; everything else (pid file, logs, temp paths, the worker
/// running as the current user so it can read the test's files) is set here:
///
///     NginxServer nginx([](int port) {
///       return "server { listen 127.0.0.1:" + std::to_string(port) + "; return 200 ok; }";
///     });
///     // ... talk to 127.0.0.1:nginx.port() ...
///
/// nginx is stopped (TERM, then KILL of its process group) when this is destroyed.
class NginxServer {
 public:
  /// Makes the text of the http block for the port nginx must listen on. It may be called again
  /// with another port when the first one was taken meanwhile.
  using Fragment = std::function<std::string(int port)>;

  /// Starts nginx with `fragment(port)` inside its http block and returns once 127.0.0.1:port()
  /// accepts connections. Throws std::runtime_error, with nginx's own error text, when nginx
  /// does not start within 10 s (an address in use is retried on another port, 5 times).
  explicit NginxServer(Fragment fragment);
  /// Stops nginx.
  ~NginxServer();
  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;

  /// The port the fragment was given and nginx listens on.
  int port() const { return port_; }
  /// `http://127.0.0.1:<port>`.
  std::string base_url() const;
  /// nginx's prefix folder (conf/nginx.conf, logs/, temp/); files the fragment includes may go here.
  const std::filesystem::path& prefix() const { return prefix_.path(); }
  /// The main config file nginx runs with.
  std::filesystem::path config_file() const;
  /// What nginx wrote to its error log and stderr so far.
  std::string error_log() const;

  /// Tests the config (`nginx -t`), then reloads it (SIGHUP) and returns once the workers of
  /// the old config are gone. Throws, with nginx's error, when the config is invalid (the old
  /// config then keeps running) or the reload does not finish within 10 s. Use it after
  /// changing a file the config includes.
  void reload();
  /// Rewrites the http block with `fragment(port())`, then reload().
  void reload(const Fragment& fragment);

 private:
  bool start_on(int port);
  void write_config(int port);

  TempDir prefix_;
  Fragment fragment_;
  int port_ = 0;
  std::unique_ptr<BackgroundProcess> process_;
};

/// An http-block fragment for deploy tests: upstream `web` holding what `upstream_file`
/// (turnout's include file) says, proxied to from 127.0.0.1:`port`.
std::string proxy_site(const std::filesystem::path& upstream_file, int port);

/// An http-block fragment for nginx's mode flag: turnout's includes from `includes` (a glob, so
/// that nginx starts before the first deploy writes them), the location at 127.0.0.1:`port`.
std::string flag_site(const std::filesystem::path& includes, int port);

}  // namespace turnout::test
