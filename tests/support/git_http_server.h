#pragma once
// Git's smart HTTP protocol for tests: nginx + fcgiwrap + git http-backend on a loopback port.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "tests/support/background_process.h"
#include "tests/support/nginx.h"
#include "tests/support/temp_dir.h"

namespace turnout::test {

/// The one user name and password a GitHttpServer accepts.
struct BasicAuth {
  std::string user;
  std::string password;
};

/// Serves every repository under a folder over git's smart HTTP protocol (fetch and clone),
/// the way a real git host does: nginx (NginxServer) passes each request through fcgiwrap to
/// `git http-backend` (GIT_PROJECT_ROOT = the folder, GIT_HTTP_EXPORT_ALL). With a BasicAuth,
/// nginx answers 401 to any request without that user and password. Everything it started
/// (nginx, fcgiwrap and its CGI children) is stopped when this is destroyed.
class GitHttpServer {
 public:
  /// Starts serving `root` (its repositories may be made or changed later). Throws
  /// std::runtime_error when fcgiwrap or nginx cannot be started.
  explicit GitHttpServer(std::filesystem::path root, std::optional<BasicAuth> auth = std::nullopt);
  /// Stops nginx, then fcgiwrap.
  ~GitHttpServer();
  GitHttpServer(const GitHttpServer&) = delete;
  GitHttpServer& operator=(const GitHttpServer&) = delete;

  /// `http://127.0.0.1:<port>/<repository>`, `repository` being a path under the root.
  std::string url(const std::string& repository) const;
  /// The port nginx listens on.
  int port() const { return nginx_->port(); }
  /// What nginx and fcgiwrap (with git http-backend's stderr) logged so far.
  std::string logs() const;

 private:
  std::string fragment(int port) const;

  std::filesystem::path root_;
  std::optional<BasicAuth> auth_;
  TempDir dir_;
  std::unique_ptr<BackgroundProcess> fcgiwrap_;
  std::unique_ptr<NginxServer> nginx_;  // declared last: stopped first
};

}  // namespace turnout::test
